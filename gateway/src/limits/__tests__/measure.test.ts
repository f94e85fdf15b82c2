import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { buildSchema, getIntrospectionQuery, getOperationAST, parse } from 'graphql';
import { Refusal } from '../../pipeline/refusal';
import { servedSchemaOf } from '../../supergraph/servedSchema';
import { readCostModel } from '../costModel';
import { measureOperation } from '../measure';

// A small schema with every shape the cost model knows: plain lists, connections sized by
// @listSize, a weighted field, a mutation.
const SDL = `
directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
directive @cost(weight: Int!) on FIELD_DEFINITION | OBJECT
type Query {
  node: Node
  nodes(first: Int = 3): [Node!]!
  page(first: Int = 4): Page! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
}
type Mutation { touch(id: ID!): Node }
type Page { edges: [Edge!]! total: Int! }
type Edge { node: Node! cursor: String! }
type Node {
  id: ID!
  name: String
  child: Node
  children(first: Int): [Node!]!
  tags: [String!]! @listSize(assumedSize: 2)
  page(first: Int = 2): Page! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
  heavy: Int @cost(weight: 7)
}`;
const schema = buildSchema(SDL);
const model = readCostModel(parse(SDL), 10);
const measure = (query: string, variables: Record<string, unknown> = {}) => {
  const document = parse(query);
  return measureOperation(schema, model, document, getOperationAST(document)!, variables);
};

describe('measureOperation', () => {
  it('prices objects 1, leaves 0, lists by their size and mutations 10', () => {
    expect(measure('{ node { id name } }')).toMatchObject({ depth: 2, fields: 3, aliases: 0, cost: 1 });
    expect(measure('{ nodes { id } }').cost).toBe(3); // the argument's default, 3 × Node
    expect(measure('{ nodes(first: 50) { child { id } } }').cost).toBe(100);
    expect(measure('{ node { children { id } } }').cost).toBe(21); // its page argument left out: the subgraphs' default page, 20
    expect(measure('{ node { tags } }').cost).toBe(1); // a list of leaves costs nothing
    expect(measure('{ node { heavy } }').cost).toBe(8);
    expect(measure('mutation { touch(id: "1") { id } }').cost).toBe(10);
  });

  it('sizes a connection’s edges by its first argument, wherever the edges are written', () => {
    const inline = measure('{ page(first: 30) { total edges { node { id } } } }');
    expect(inline.cost).toBe(1 + 30 * 2);
    expect(measure('{ page(first: 30) { ...P } } fragment P on Page { total edges { node { id } } }')).toEqual(inline);
    expect(
      measure(
        '{ page(first: 30) { ... on Page { ...E } } } fragment E on Page { total edges { ...N } } fragment N on Edge { node { id } }',
      ),
    ).toEqual(inline);
  });

  it('takes a page size from the request, then the variable’s default, then the schema', () => {
    const query = 'query($n: Int = 40) { page(first: $n) { edges { node { id } } } }';
    expect(measure(query, { n: 5 }).cost).toBe(1 + 5 * 2);
    expect(measure(query).cost).toBe(1 + 40 * 2);
    expect(measure('query($n: Int) { page(first: $n) { edges { node { id } } } }').cost).toBe(1 + 4 * 2);
    expect(measure(query, { n: 'many' }).cost).toBe(1 + 40 * 2); // not coercible: never runs; priced on the defaults
    expect(measure(query).usesVariables).toBe(true);
    expect(measure('{ page { edges { node { id } } } }').usesVariables).toBe(false);
  });

  it('prices an explicit null as execution runs it: the subgraphs’ default page, not the variable’s default', () => {
    const query = 'query($n: Int = 0) { page(first: $n) { edges { node { id } } } }';
    expect(measure(query).cost).toBe(1);
    expect(measure(query, { n: null }).cost).toBe(1 + 20 * 2);
    expect(measure('{ page(first: null) { edges { node { id } } } }').cost).toBe(1 + 20 * 2);
    expect(measure('query($n: Int = null) { page(first: $n) { edges { node { id } } } }').cost).toBe(1 + 20 * 2);
    // A non-null variable sent null does not coerce: the gateway refuses it before running anything.
    expect(measure('query($n: Int! = 0) { page(first: $n) { edges { node { id } } } }', { n: null }).cost).toBe(1);
  });

  it('measures a chain of fragments that double at each level in linear time', () => {
    let query = 'query { ...F1000 } fragment F0 on Query { node { id } }';
    for (let i = 1; i <= 1000; i++) query += ` fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`;
    const document = parse(query);
    const measured = measureOperation(schema, model, document, getOperationAST(document)!, {}, 2000);
    expect(measured.fields).toBe(2 ** 1001);
    expect(measured.depth).toBe(2);
  });

  it('refuses fragments nested deeper than the limit, before any recursion could overflow', () => {
    let query = 'query { ...F100000 } fragment F0 on Query { node { id } }';
    for (let i = 1; i <= 100_000; i++) query += ` fragment F${i} on Query { ...F${i - 1} }`;
    expect(() => measure(query)).toThrow(/more than 64 levels/);
  });

  it('refuses a fragment cycle instead of following it', () => {
    expect(() => measure('{ ...A } fragment A on Query { node { id } ...B } fragment B on Query { ...A }')).toThrow(
      Refusal,
    );
  });

  it('gives the same measure for every spelling of the same query (property)', () => {
    fc.assert(
      fc.property(queryTree(), (tree) => {
        const spellings = spell(tree);
        const inline = measure(spellings.inline);
        expect(measure(spellings.fragments)).toEqual({ ...inline, usesVariables: false });
        expect(measure(spellings.variables.query, spellings.variables.values)).toEqual({
          ...inline,
          usesVariables: spellings.usesSizes,
        });
        expect(measure(spellings.defaults)).toEqual({ ...inline, usesVariables: spellings.usesSizes });
      }),
      { seed: 9, numRuns: 300 },
    );
  });

  it('lets every operation in the project’s supergraph through introspection at the default limits', () => {
    const supergraph = readFileSync(path.resolve(__dirname, '../../../../supergraph.graphql'), 'utf8');
    const served = servedSchemaOf(supergraph, 20);
    const document = parse(getIntrospectionQuery());
    const measured = measureOperation(served.schema, served.costModel, document, getOperationAST(document)!);
    expect(measured.cost).toBe(0);
    expect(measured.depth).toBeLessThanOrEqual(15);
  });
});

// --- generated queries -------------------------------------------------------------------------

interface Field {
  name: string;
  alias: boolean;
  first: number | null;
  children: Field[] | null;
}

const FIELDS: Record<string, { name: string; type: string | null; sized: boolean }[]> = {
  Query: [
    { name: 'node', type: 'Node', sized: false },
    { name: 'nodes', type: 'Node', sized: true },
    { name: 'page', type: 'Page', sized: true },
  ],
  Node: [
    { name: 'id', type: null, sized: false },
    { name: 'heavy', type: null, sized: false },
    { name: 'tags', type: null, sized: false },
    { name: 'child', type: 'Node', sized: false },
    { name: 'children', type: 'Node', sized: true },
    { name: 'page', type: 'Page', sized: true },
  ],
  Page: [
    { name: 'total', type: null, sized: false },
    { name: 'edges', type: 'Edge', sized: false },
  ],
  Edge: [
    { name: 'cursor', type: null, sized: false },
    { name: 'node', type: 'Node', sized: false },
  ],
};

function selections(type: string, depth: number): fc.Arbitrary<Field[]> {
  const choices = FIELDS[type]!.filter((f) => f.type === null || depth < 4).map((f) =>
    fc.record({
      name: fc.constant(f.name),
      alias: fc.boolean(),
      first: f.sized ? fc.option(fc.nat(6), { nil: null }) : fc.constant(null),
      children: f.type ? selections(f.type, depth + 1) : fc.constant(null),
    }),
  );
  return fc.array(fc.oneof(...choices), { minLength: 1, maxLength: 3 });
}

const queryTree = () => selections('Query', 0);

/** One query written four ways: inline; every selection set as a fragment; page sizes as variables; as variable defaults. */
function spell(tree: Field[]) {
  let fragments = '';
  let count = 0;
  const sizes: number[] = [];
  const render = (fields: Field[], type: string, mode: 'inline' | 'fragments' | 'variables'): string =>
    fields
      .map((field, i) => {
        const spec = FIELDS[type]!.find((f) => f.name === field.name)!;
        let args = '';
        if (field.first !== null) {
          if (mode === 'variables') {
            sizes.push(field.first);
            args = `(first: $v${sizes.length - 1})`;
          } else args = `(first: ${field.first})`;
        }
        let children = '';
        if (field.children) {
          const body = render(field.children, spec.type!, mode);
          if (mode === 'inline') children = ` { ${body} }`;
          else {
            const name = `F${count++}`;
            fragments += ` fragment ${name} on ${spec.type} { ${body} }`;
            children = ` { ...${name} }`;
          }
        }
        return `${field.alias ? `a${i}_${count}: ` : ''}${field.name}${args}${children}`;
      })
      .join(' ');
  const inline = `{ ${render(tree, 'Query', 'inline')} }`;
  fragments = '';
  const withFragments = `{ ${render(tree, 'Query', 'fragments')} }${fragments}`;
  fragments = '';
  count = 0;
  const body = render(tree, 'Query', 'variables');
  const declared = (withDefaults: boolean) =>
    sizes.map((size, i) => `$v${i}: Int${withDefaults ? ` = ${size}` : ''}`).join(', ');
  const operation = (withDefaults: boolean) =>
    `query${sizes.length ? `(${declared(withDefaults)})` : ''} { ${body} }${fragments}`;
  return {
    inline,
    fragments: withFragments,
    variables: { query: operation(false), values: Object.fromEntries(sizes.map((size, i) => [`v${i}`, size])) },
    defaults: operation(true),
    usesSizes: sizes.length > 0,
  };
}
