import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { schemaHashOf } from '@car-check/service-kit';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { managementGet } from '@car-check/test-support/management';

const backend = ONE_BACKEND;
const ROOT = path.resolve(__dirname, '..', '..');

describe(`every service says which build and schema it runs (${backend})`, () => {
  let graph: TestGraph;
  beforeAll(async () => {
    graph = await startGraph(backend, { seed: false });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  it('a subgraph: its version and the sha256 of its SDL, in /health and /metrics', async () => {
    const expected = schemaHashOf(
      await readFile(path.join(ROOT, 'subgraphs/car/src/__generated__/schema.graphql'), 'utf8'),
    );
    const health = (await (await managementGet(graph.subgraphs.car.url, '/health')).json()) as Record<string, unknown>;
    expect(health).toEqual({
      service: 'car',
      status: 'ok',
      version: expect.stringMatching(/\S/),
      schemaHash: expected,
    });
    const metrics = await (await managementGet(graph.subgraphs.car.url, '/metrics')).text();
    expect(metrics).toContain(`service_build_info{version="${String(health.version)}",schema_hash="${expected}"`);
  });

  it('the gateway: its version and the hash of the supergraph it serves', async () => {
    const base = graph.gatewayUrl.replace(/\/graphql$/, '');
    const health = (await (await managementGet(base, '/health')).json()) as Record<string, unknown>;
    const ready = (await (await managementGet(base, '/ready')).json()) as { supergraph: { hash: string } };
    expect(health).toMatchObject({ service: 'gateway', status: 'ok', schemaHash: ready.supergraph.hash });
    const metrics = await (await managementGet(base, '/metrics')).text();
    expect(metrics).toContain(`schema_hash="${ready.supergraph.hash}"`);
  });
});
