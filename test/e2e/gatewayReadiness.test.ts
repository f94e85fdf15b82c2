import { listen, subgraphNames, subgraphUrlVariable, type RunningServer } from '@car-check/service-kit';
import { loadGatewayConfig } from '../../gateway/src/config';
import { buildGateway } from '../../gateway/src/server';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { TEST_ENV } from '@car-check/test-support/secrets';
import { silentLogger } from '@car-check/test-support/subgraphs';
import { waitFor } from '@car-check/test-support/waitFor';
import { managementGet } from '@car-check/test-support/management';

const backend = ONE_BACKEND;

interface ReadyBody {
  service: string;
  status: string;
  dependencies: Record<string, string>;
  supergraph: { hash: string | null };
}

/**
 * The gateway's `/ready` says whether to send it traffic. By default that is
 * whenever it has a supergraph: a subgraph that is down only fails its own
 * fields, and an orchestrator must not pull every gateway out of the load
 * balancer for it. READY_REQUIRES_SUBGRAPHS=true keeps the strict answer.
 */
describe(`gateway /ready (${backend})`, () => {
  let graph: TestGraph;
  /** A second gateway over the same subgraphs, with READY_REQUIRES_SUBGRAPHS=true. */
  let strict: { server: RunningServer; stop: () => Promise<void> };

  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true });
    const env: NodeJS.ProcessEnv = { ...TEST_ENV, READY_REQUIRES_SUBGRAPHS: 'true' };
    for (const [name, subgraph] of Object.entries(graph.subgraphs)) {
      env[subgraphUrlVariable(name)] = subgraph.graphqlUrl;
    }
    const gateway = await buildGateway(loadGatewayConfig(env), silentLogger('gateway'));
    const server = await listen(gateway.app, '127.0.0.1', 0);
    strict = {
      server,
      stop: async () => {
        await server.close();
        await gateway.apollo.stop();
      },
    };
  });
  afterAll(async () => {
    await strict?.stop();
    await graph?.stop();
  });

  const ready = async (base: string) => {
    const response = await managementGet(base, '/ready');
    return { status: response.status, body: (await response.json()) as ReadyBody };
  };
  type Answer = Awaited<ReturnType<typeof ready>>;
  /**
   * `/ready` once it reports `dependencies` (each subgraph's /ready is checked
   * with a 1 s deadline, which a loaded machine can miss now and then).
   */
  const settled = async (base: string, dependencies: Record<string, string>): Promise<Answer> => {
    let last: Answer | undefined;
    await waitFor(
      async () => {
        last = await ready(base);
        return JSON.stringify(last.body.dependencies) === JSON.stringify(dependencies);
      },
      30_000,
      `${base}/ready to report ${JSON.stringify(dependencies)}`,
    ).catch(() => undefined);
    return last!;
  };
  const lenient = (dependencies: Record<string, string>) => settled(graph.gatewayUrl, dependencies);
  const strictReady = (dependencies: Record<string, string>) => settled(strict.server.url, dependencies);
  const allUp = { supergraph: 'up', ...Object.fromEntries(subgraphNames().map((name) => [name, 'up'])) };

  it('the strict mode is read from READY_REQUIRES_SUBGRAPHS, off by default', () => {
    expect(loadGatewayConfig(TEST_ENV).readyRequiresSubgraphs).toBe(false);
    expect(loadGatewayConfig({ ...TEST_ENV, READY_REQUIRES_SUBGRAPHS: 'true' }).readyRequiresSubgraphs).toBe(true);
    expect(() => loadGatewayConfig({ ...TEST_ENV, READY_REQUIRES_SUBGRAPHS: 'maybe' })).toThrow(
      /READY_REQUIRES_SUBGRAPHS/,
    );
  });

  it('both modes answer 200 when every subgraph is ready', async () => {
    for (const answer of [await lenient(allUp), await strictReady(allUp)]) {
      expect(answer).toMatchObject({ status: 200, body: { service: 'gateway', status: 'ready', dependencies: allUp } });
      expect(answer.body.supergraph.hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('with a subgraph down, answers 200 naming it (strict mode: 503), and serves the fields that do not need it', async () => {
    await graph.stopSubgraph('car');
    try {
      const down = { ...allUp, car: 'down' };
      expect(await lenient(down)).toMatchObject({
        status: 200,
        body: { service: 'gateway', status: 'ready', dependencies: down },
      });
      expect(await strictReady(down)).toMatchObject({
        status: 503,
        body: { service: 'gateway', status: 'not ready', dependencies: down },
      });

      // What the 200 promises: the gateway serves, only car's fields fail.
      expect((await graph.query('{ me { username } }')).data).toEqual({ me: { username: 'admin' } });
      const cars = await graph.query('{ cars(first: 1) { totalCount } }');
      expect(cars.errors?.length).toBeGreaterThan(0);
    } finally {
      await graph.restartSubgraph('car');
    }
    expect(await lenient(allUp)).toMatchObject({ status: 200, body: { dependencies: allUp } });
    expect(await strictReady(allUp)).toMatchObject({ status: 200, body: { dependencies: allUp } });
  });
});
