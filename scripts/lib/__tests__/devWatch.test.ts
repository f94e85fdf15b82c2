import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compose, readSupergraphConfig } from '../compose';
import { watchSubgraphSdl } from '../devWatch';

const A = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query { hello: String }
`;
const B = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Thing @key(fields: "id") { id: ID! }
type Query { thing: Thing }
`;

/** Waits for `check` to pass, polling; generous, since file events on a loaded machine can take a while. */
async function eventually(check: () => Promise<void> | void, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('npm run dev: a changed SDL', () => {
  let dir: string;
  let restarted: string[];
  let lines: string[];
  let watcher: { close(): void };
  const supergraph = () => readFile(path.join(dir, 'supergraph.graphql'), 'utf8').catch(() => '');

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dev-watch-'));
    await writeFile(path.join(dir, 'a.graphql'), A);
    await writeFile(path.join(dir, 'b.graphql'), B);
    await writeFile(
      path.join(dir, 'supergraph.yaml'),
      `federation_version: =2.14.4
subgraphs:
  a: { routing_url: 'http://127.0.0.1:1/graphql', schema: { file: ./a.graphql } }
  b: { routing_url: 'http://127.0.0.1:2/graphql', schema: { file: ./b.graphql } }
`,
    );
    restarted = [];
    lines = [];
    watcher = watchSubgraphSdl({
      schemaFiles: { a: path.join(dir, 'a.graphql'), b: path.join(dir, 'b.graphql') },
      supergraphPath: path.join(dir, 'supergraph.graphql'),
      configPath: path.join(dir, 'supergraph.yaml'),
      restart: async (name) => {
        restarted.push(name);
      },
      log: (line) => lines.push(line),
      settleMs: 50,
    });
  });
  afterEach(async () => {
    watcher.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('restarts that subgraph, then writes the recomposed supergraph', async () => {
    await writeFile(path.join(dir, 'b.graphql'), B.replace('id: ID!', 'id: ID!\n  name: String'));
    await eventually(async () => expect(await supergraph()).toMatch(/name: String/));
    expect(restarted).toEqual(['b']);
    expect(lines.join('\n')).toMatch(/recomposed/);
  });

  it('keeps the last supergraph when the new SDL does not compose, and says why with the file', async () => {
    await writeFile(path.join(dir, 'supergraph.graphql'), 'the last good supergraph\n');
    await writeFile(path.join(dir, 'a.graphql'), 'type Query { hello: }');
    await eventually(() => expect(lines.join('\n')).toMatch(/keeps the last supergraph/));
    expect(lines.join('\n')).toMatch(/composition error: .*a\.graphql/);
    expect(await supergraph()).toBe('the last good supergraph\n');
    expect(restarted).toEqual(['a']);
  });
});

describe('npm run dev: an SDL generated from the edited files', () => {
  let dir: string;
  let restarted: string[];
  let lines: string[];
  let watcher: { close(): void };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dev-generate-'));
    for (const file of ['a.graphql', 'b.graphql', 'shared.graphql']) await writeFile(path.join(dir, file), '');
    await writeFile(path.join(dir, 'a.served.graphql'), A);
    await writeFile(path.join(dir, 'b.served.graphql'), B);
    await writeFile(
      path.join(dir, 'supergraph.yaml'),
      `federation_version: =2.14.4
subgraphs:
  a: { routing_url: 'http://127.0.0.1:1/graphql', schema: { file: ./a.served.graphql } }
  b: { routing_url: 'http://127.0.0.1:2/graphql', schema: { file: ./b.served.graphql } }
`,
    );
    restarted = [];
    lines = [];
    watcher = watchSubgraphSdl({
      schemaFiles: { a: path.join(dir, 'a.graphql'), b: path.join(dir, 'b.graphql') },
      sharedFiles: [path.join(dir, 'shared.graphql')],
      // Stands for subgraphSdl.ts: the shared file's text, when it says so, renames a's field.
      generate: async (name) => {
        if (name !== 'a') return false;
        const shared = await readFile(path.join(dir, 'shared.graphql'), 'utf8');
        if (shared.includes('refuse')) throw new Error('a.graphql defines PageInfo, which shared.graphql also defines');
        if (!shared.includes('rename')) return false;
        await writeFile(path.join(dir, 'a.served.graphql'), A.replace('hello', 'hi'));
        return true;
      },
      supergraphPath: path.join(dir, 'supergraph.graphql'),
      configPath: path.join(dir, 'supergraph.yaml'),
      restart: async (name) => {
        restarted.push(name);
      },
      log: (line) => lines.push(line),
      settleMs: 50,
    });
  });
  afterEach(async () => {
    watcher.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('regenerates on a change to a shared file and restarts only the subgraphs whose SDL changed', async () => {
    await writeFile(path.join(dir, 'shared.graphql'), '# rename\n');
    await eventually(async () =>
      expect(await readFile(path.join(dir, 'supergraph.graphql'), 'utf8').catch(() => '')).toMatch(/hi: String/),
    );
    expect(restarted).toEqual(['a']);
    expect(lines.join('\n')).toMatch(/shared\.graphql changed; restarting a/);
  });

  it('keeps the running subgraph when its SDL cannot be generated, and says why', async () => {
    await writeFile(path.join(dir, 'shared.graphql'), '# refuse\n');
    await eventually(() => expect(lines.join('\n')).toMatch(/keeps serving its last SDL/));
    expect(lines.join('\n')).toMatch(/a's SDL: a\.graphql defines PageInfo, which shared\.graphql also defines/);
    expect(restarted).toEqual([]);
  });
});

describe('npm run dev: a recomposed supergraph that breaks clients', () => {
  let dir: string;
  let lines: string[];
  let watcher: { close(): void };
  const log = () => lines.join('\n');

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dev-breaking-'));
    await writeFile(path.join(dir, 'a.graphql'), A);
    await writeFile(path.join(dir, 'b.graphql'), B);
    const config = path.join(dir, 'supergraph.yaml');
    await writeFile(
      config,
      `federation_version: =2.14.4
subgraphs:
  a: { routing_url: 'http://127.0.0.1:1/graphql', schema: { file: ./a.graphql } }
  b: { routing_url: 'http://127.0.0.1:2/graphql', schema: { file: ./b.graphql } }
`,
    );
    // The published supergraph (outside git: the file as dev found it) and what clients send.
    const outcome = compose(await readSupergraphConfig(config));
    if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
    await writeFile(path.join(dir, 'supergraph.graphql'), outcome.supergraphSdl);
    await writeFile(path.join(dir, 'operations.graphql'), 'query Hello { hello }\nquery OneThing { thing { id } }\n');
    lines = [];
    watcher = watchSubgraphSdl({
      schemaFiles: { a: path.join(dir, 'a.graphql'), b: path.join(dir, 'b.graphql') },
      supergraphPath: path.join(dir, 'supergraph.graphql'),
      configPath: config,
      operationFiles: [path.join(dir, 'operations.graphql')],
      restart: async () => undefined,
      log: (line) => lines.push(line),
      settleMs: 50,
    });
  });
  afterEach(async () => {
    watcher.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is served, under a loud warning naming the removed field and the operation it breaks', async () => {
    await writeFile(path.join(dir, 'a.graphql'), A.replace('hello: String', 'hi: String'));
    await eventually(() => expect(log()).toMatch(/WARNING/));
    expect(await readFile(path.join(dir, 'supergraph.graphql'), 'utf8')).toMatch(/hi: String/);
    const warning = lines.slice(lines.findIndex((line) => line.includes('WARNING')) - 1);
    expect(warning[0]).toMatch(/^dev: !{78}$/);
    expect(warning[1]).toMatch(
      /^dev: WARNING: the recomposed supergraph, which the dev gateway serves, BREAKS clients of .*supergraph\.graphql\.$/,
    );
    expect(warning.join('\n')).toMatch(
      /Query\.hello: Field 'hello' was removed from object type 'Query' \(FIELD_REMOVED\)/,
    );
    expect(warning.join('\n')).toMatch(
      /1 of 2 client operation\(s\) would break:\n.*- Hello \(.*operations\.graphql\): Cannot query field "hello"/,
    );
    expect(warning.join('\n')).toMatch(/npm run check -- --subgraph a/);
  });

  it('says so when a later save no longer breaks them, and stays quiet about an additive change', async () => {
    await writeFile(path.join(dir, 'a.graphql'), A.replace('hello: String', 'hi: String'));
    await eventually(() => expect(log()).toMatch(/WARNING/));
    await writeFile(path.join(dir, 'a.graphql'), A.replace('hello: String', 'hello: String\n  hi: String'));
    await eventually(() => expect(log()).toMatch(/no longer breaks clients of/));
    expect(lines.filter((line) => line.includes('WARNING'))).toHaveLength(1);
  });
});
