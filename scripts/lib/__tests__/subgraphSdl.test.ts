import { buildASTSchema, parse } from 'graphql';
import { generatedSubgraphSdl, subgraphSdl, type SdlFile } from '../subgraphSdl';

const SHARED: SdlFile = {
  file: 'shared.graphql',
  sdl: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@shareable"])

"A date-time."
scalar DateTime

type PageInfo @shareable {
  hasNextPage: Boolean!
}

directive @audited on FIELD_DEFINITION

type AuditEvent @shareable {
  at: DateTime!
  changes: [FieldChange!]!
}

type FieldChange @shareable {
  field: String!
}

type AuditEventConnection @shareable {
  edges: [AuditEvent!]!
  pageInfo: PageInfo!
}

interface Stamped {
  "When."
  at: DateTime!
  pages: PageInfo
}

enum Unused {
  NEVER
}
`,
};

const own = (sdl: string): SdlFile => ({ file: 'subgraphs/a/schema.graphql', sdl });

/** The names of the types and directives an SDL defines. */
function definedNames(sdl: string): string[] {
  return parse(sdl)
    .definitions.flatMap((definition) => ('name' in definition && definition.name ? [definition.name.value] : []))
    .sort();
}

describe("a subgraph's full SDL: its own types and the shared ones it uses", () => {
  it('takes the shared types it names and, transitively, the ones they name, in the shared file’s order', () => {
    const sdl = subgraphSdl(
      own(`type Thing {
  id: ID!
  history: AuditEventConnection
}
type Query { thing: Thing }
`),
      SHARED,
    );
    expect(definedNames(sdl)).toEqual(
      ['AuditEvent', 'AuditEventConnection', 'DateTime', 'FieldChange', 'PageInfo', 'Query', 'Thing'].sort(),
    );
    const order = [
      'scalar DateTime',
      'type PageInfo',
      'type AuditEvent ',
      'type FieldChange',
      'type AuditEventConnection',
    ];
    expect(order.map((text) => sdl.indexOf(text))).toEqual(
      order.map((text) => sdl.indexOf(text)).sort((a, b) => a - b),
    );
    // The shared definitions as written, with their descriptions.
    expect(sdl).toContain('"A date-time."\nscalar DateTime');
    // Valid on its own once Federation's directive is declared.
    expect(() =>
      buildASTSchema(
        parse(
          `directive @shareable on OBJECT\ndirective @link(url: String, import: [String]) repeatable on SCHEMA\n${sdl}`,
        ),
      ),
    ).not.toThrow();
  });

  it('gives a subgraph that uses no audit type none of them, but always the schema extension', () => {
    const sdl = subgraphSdl(
      own(`type Hook {
  id: ID!
  at: DateTime!
}
type HookConnection {
  edges: [Hook!]!
  pageInfo: PageInfo!
}
type Query { hooks: HookConnection }
`),
      SHARED,
    );
    expect(definedNames(sdl)).toEqual(['DateTime', 'Hook', 'HookConnection', 'PageInfo', 'Query']);
    expect(sdl).toMatch(/^extend schema @link/m);
    expect(sdl).not.toMatch(/Audit|FieldChange|Unused/);
  });

  it('takes a shared directive that the subgraph uses', () => {
    const sdl = subgraphSdl(own('type Query { a: String @audited }\n'), SHARED);
    expect(definedNames(sdl)).toEqual(['Query', 'audited']);
  });

  it('keeps the team’s file first and verbatim, comments included, so its line numbers hold', () => {
    const written = '# Why the query is so small.\ntype Query {\n  a: String\n}\n';
    expect(subgraphSdl(own(written), SHARED).startsWith(written)).toBe(true);
  });

  it('appends the fields of a shared interface to a type that asks for them, and drops the mark and the interface', () => {
    const sdl = subgraphSdl(
      own(`type Thing @key(fields: "id") @sharedFields(from: "Stamped") {
  id: ID!
}
type Query { thing: Thing }
`),
      SHARED,
    );
    expect(sdl).toContain(
      'type Thing @key(fields: "id") {\n  id: ID!\n  "When."\n  at: DateTime!\n  pages: PageInfo\n}\n',
    );
    expect(definedNames(sdl)).toEqual(['DateTime', 'PageInfo', 'Query', 'Thing']);
    expect(sdl).not.toMatch(/Stamped|sharedFields/);
  });

  it('refuses shared fields from a name that is no shared interface', () => {
    expect(() => subgraphSdl(own('type Query @sharedFields(from: "PageInfo") { a: String }\n'), SHARED)).toThrow(
      new Error(
        'subgraphs/a/schema.graphql: Query asks for @sharedFields(from: "PageInfo"), which is no interface with fields in shared.graphql.',
      ),
    );
  });

  it('refuses a type defined in both files, in one line naming both', () => {
    expect(() =>
      subgraphSdl(own('type PageInfo { hasNextPage: Boolean! }\ntype Query { a: PageInfo }\n'), SHARED),
    ).toThrow(
      new Error('subgraphs/a/schema.graphql defines PageInfo, which shared.graphql also defines: keep one of the two.'),
    );
  });

  it('reports a syntax error at its line in the team’s file', () => {
    expect(() => subgraphSdl(own('type Query {\n  a: \n}\n'), SHARED)).toThrow(
      expect.objectContaining({ locations: [{ line: 3, column: 1 }] }) as Error,
    );
  });

  it('writes a header that says the file is generated and from what', () => {
    const header = generatedSubgraphSdl(own('type Query { a: String }\n'), SHARED).split('\n').slice(0, 2).join('\n');
    expect(header).toBe(
      '# Generated by `npm run generate` (scripts/generate-sdl.ts) from subgraphs/a/schema.graphql\n' +
        '# and the types of shared.graphql it uses. Do not edit: edit those and run it again.',
    );
  });
});
