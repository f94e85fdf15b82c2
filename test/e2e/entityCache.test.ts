import { signRequest } from '@car-check/service-kit';
import { ONE_BACKEND, testConfig } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { managementGet } from '@car-check/test-support/management';
import { TEST_SIGNING_SECRET } from '@car-check/test-support/secrets';
import { ADMIN } from '@car-check/test-support/subgraphHarness';
import { waitFor } from '@car-check/test-support/waitFor';

const backend = ONE_BACKEND;

interface Answer<T> {
  status: number;
  headers: Headers;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
  extensions?: { consistencyToken?: string };
}

type CarsPage = {
  cars: {
    edges: {
      node: {
        id: string;
        costCenter: { id: string; societyName: string; manager: { email: string | null } | null } | null;
      };
    }[];
  };
};

const CARS = `{ cars(first: 10) { edges { node { id costCenter { id societyName manager { email } } } } } }`;

/**
 * The entity cache (ENTITY_CACHE=true, docs/entity-cache.md) through the gateway, as a client
 * meets it: repeated reads served from memory (an `Age` header), a writer reading its own write
 * at once, a write made behind the gateway's back dropped by the owner's events, and answers
 * never shared across callers' scopes.
 */
describe(`the entity cache, kept fresh by the owners' events (${backend})`, () => {
  let graph: TestGraph;
  const tokens: Record<string, string> = {};

  async function send<T>(
    query: string,
    as: string,
    headers: Record<string, string> = {},
    gatewayUrl = graph.gatewayUrl,
  ): Promise<Answer<T>> {
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[as]}`, ...headers },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
  }

  beforeAll(async () => {
    graph = await startGraph(backend, {
      seed: true,
      gatewayEnv: { ENTITY_CACHE: 'true', ENTITY_CACHE_POLL_MS: '100' },
    });
    for (const user of ['admin', 'viewer']) tokens[user] = await graph.login(user);
  });
  afterAll(async () => {
    await graph?.stop();
  });

  /** Reads until the cost centers come from the cache (the owners' invalidation starts with the gateway). */
  async function cachedRead(as: string, gatewayUrl = graph.gatewayUrl): Promise<Answer<CarsPage>> {
    let answer: Answer<CarsPage> | undefined;
    await waitFor(
      async () => {
        answer = await send<CarsPage>(CARS, as, {}, gatewayUrl);
        return answer.headers.get('age') !== null;
      },
      30_000,
      'an answer with entities from the cache',
    );
    return answer!;
  }

  it('serves repeated reads of the declared entities from memory, with the same answer', async () => {
    const fresh = await send<CarsPage>(CARS, 'admin');
    expect(fresh.errors).toBeUndefined();
    const cached = await cachedRead('admin');
    expect(cached.data).toEqual(fresh.data);
    expect(Number(cached.headers.get('age'))).toBeGreaterThanOrEqual(0);
  });

  it('answers a writer’s own write at once, and gives it a token that a later read honours', async () => {
    await cachedRead('admin');
    const before = await send<CarsPage>(CARS, 'admin');
    const center = before.data!.cars.edges.find((edge) => edge.node.costCenter)!.node.costCenter!;
    const societyName = `Society ${Date.now()}`;
    const write = await send<{ updateCostCenter: { id: string } }>(
      `mutation { updateCostCenter(id: "${center.id}", input: { societyName: "${societyName}" }) { id } }`,
      'admin',
    );
    expect(write.errors).toBeUndefined();
    const token = write.headers.get('consistency-token');
    expect(token).toBeTruthy();
    expect(write.extensions?.consistencyToken).toBe(token);
    for (const headers of [{}, { 'consistency-token': token! }] as Record<string, string>[]) {
      const after = await send<CarsPage>(CARS, 'admin', headers);
      const seen = after.data!.cars.edges.filter((edge) => edge.node.costCenter?.id === center.id);
      expect(seen.length).toBeGreaterThan(0);
      for (const edge of seen) expect(edge.node.costCenter!.societyName).toBe(societyName);
    }
  });

  it('drops an entity changed behind the gateway’s back (straight at its subgraph) within the event lag', async () => {
    const before = await cachedRead('admin');
    const center = before.data!.cars.edges.find((edge) => edge.node.costCenter)!.node.costCenter!;
    const societyName = `Direct ${Date.now()}`;
    const body = JSON.stringify({
      query: `mutation { updateCostCenter(id: "${center.id}", input: { societyName: "${societyName}" }) { id } }`,
    });
    const url = graph.subgraphs['cost-center'].graphqlUrl;
    const direct = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(await signRequest(ADMIN, { method: 'POST', url, body }, TEST_SIGNING_SECRET, { audience: 'cost-center' })),
      },
      body,
    });
    expect(direct.status).toBe(200);
    const changedAt = Date.now();
    await waitFor(
      async () => {
        const after = await send<CarsPage>(CARS, 'admin');
        return after.data!.cars.edges.some(
          (edge) => edge.node.costCenter?.id === center.id && edge.node.costCenter.societyName === societyName,
        );
      },
      30_000,
      'the direct write through the gateway',
    );
    // Generous for a loaded machine; the lag itself is a metric (gateway_entity_cache_invalidation_lag_seconds).
    expect(Date.now() - changedAt).toBeLessThan(30_000);
  });

  it('never serves a caller what was fetched for a caller with other rights', async () => {
    // The admin reads the managers' emails (user:read) and they are cached...
    const asAdmin = await cachedRead('admin');
    const emails = asAdmin.data!.cars.edges.flatMap((edge) =>
      edge.node.costCenter?.manager?.email ? [edge.node.costCenter.manager.email] : [],
    );
    expect(emails.length).toBeGreaterThan(0);
    // ...a viewer, reading the same entities with the same selection, still gets none of them.
    const asViewer = await send<CarsPage>(CARS, 'viewer');
    const leaked = asViewer.data!.cars.edges.flatMap((edge) =>
      edge.node.costCenter?.manager?.email ? [edge.node.costCenter.manager.email] : [],
    );
    expect(leaked).toEqual([]);
    expect(asViewer.errors?.some((error) => error.extensions?.code === 'PERMISSION_DENIED')).toBe(true);
  });

  it('keeps every gateway fresh: a write through one reaches the other’s cache, and its token is honoured there at once', async () => {
    const other = await graph.startGateway({}, { ENTITY_CACHE: 'true', ENTITY_CACHE_POLL_MS: '100' });
    await cachedRead('admin', other);
    const before = await cachedRead('admin');
    const center = before.data!.cars.edges.find((edge) => edge.node.costCenter)!.node.costCenter!;
    const societyName = `Elsewhere ${Date.now()}`;
    const write = await send<{ updateCostCenter: { id: string } }>(
      `mutation { updateCostCenter(id: "${center.id}", input: { societyName: "${societyName}" }) { id } }`,
      'admin',
    );
    const seenOn = (answer: Answer<CarsPage>) =>
      answer
        .data!.cars.edges.filter((edge) => edge.node.costCenter?.id === center.id)
        .map((edge) => edge.node.costCenter!.societyName);
    // With the token, the other gateway answers the write at once, whether or not it has applied it yet.
    const withToken = await send<CarsPage>(
      CARS,
      'admin',
      { 'consistency-token': write.headers.get('consistency-token')! },
      other,
    );
    expect(new Set(seenOn(withToken))).toEqual(new Set([societyName]));
    // Without it, within the event lag.
    await waitFor(
      async () => seenOn(await send<CarsPage>(CARS, 'admin', {}, other)).every((name) => name === societyName),
      30_000,
      'the write on the other gateway',
    );
  });

  it('serves what it keeps while an owner is down, and says its invalidation stopped', async () => {
    const cached = await cachedRead('admin');
    await graph.stopSubgraph('cost-center');
    try {
      // Entities already kept are served (until their maxAge) instead of failing with UNAVAILABLE.
      const answer = await send<CarsPage>(CARS, 'admin');
      expect(answer.data).toEqual(cached.data);
      await waitFor(
        async () => {
          const metrics = await (await managementGet(graph.gatewayUrl, '/metrics')).text();
          return /gateway_entity_cache_invalidation_live\{[^}]*owner="cost-center"[^}]*\} 0/.test(metrics);
        },
        30_000,
        'the gateway to report the cost-center invalidation stopped',
      );
    } finally {
      await graph.restartSubgraph('cost-center');
    }
    await waitFor(
      async () => {
        const metrics = await (await managementGet(graph.gatewayUrl, '/metrics')).text();
        return /gateway_entity_cache_invalidation_live\{[^}]*owner="cost-center"[^}]*\} 1/.test(metrics);
      },
      30_000,
      'the gateway to read the cost-center feed again',
    );
  });

  it('shares entries between gateways through Redis (REDIS_URL): one gateway’s fetch is another’s hit', async () => {
    const env = { ENTITY_CACHE: 'true', ENTITY_CACHE_POLL_MS: '100', REDIS_URL: testConfig.TEST_REDIS_URL };
    const [one, other] = [await graph.startGateway({}, env), await graph.startGateway({}, env)];
    const live = async (gatewayUrl: string) => {
      const metrics = await (await managementGet(gatewayUrl, '/metrics')).text();
      return ['car', 'cost-center', 'user'].every((owner) =>
        new RegExp(`gateway_entity_cache_invalidation_live\\{[^}]*owner="${owner}"[^}]*\\} 1`).test(metrics),
      );
    };
    await waitFor(async () => (await live(one)) && (await live(other)), 30_000, 'both gateways following the feeds');
    await cachedRead('admin', one);
    // The other gateway has never fetched these entities: its first read finds them in Redis.
    const first = await send<CarsPage>(CARS, 'admin', {}, other);
    expect(first.headers.get('age')).not.toBeNull();
  });

  it('refuses a consistency token it could not have written', async () => {
    const answer = await send<unknown>('{ __typename }', 'admin', { 'consistency-token': 'not a token' });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
  });
});
