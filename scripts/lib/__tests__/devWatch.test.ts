import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
