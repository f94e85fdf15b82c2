import { ANONYMOUS } from '@car-check/service-kit';
import { ONE_BACKEND, testConfig } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { postGraphQL } from '@car-check/test-support/graphql';
import { LogCapture } from '@car-check/test-support/logCapture';
import { freshClientAddress, sendRaw } from '@car-check/test-support/rawHttp';
import { TEST_SEED_PASSWORD } from '@car-check/test-support/secrets';
import { signedPost } from '@car-check/test-support/signing';
import { TcpRelay } from '@car-check/test-support/tcpRelay';
import { waitFor } from '@car-check/test-support/waitFor';
import { managementGet } from '@car-check/test-support/management';
import { requireServices } from '@car-check/test-support/services';

// The Redis every machine of this project runs; the tests reach it only through a relay of their own.
const REDIS = new URL(testConfig.TEST_REDIS_URL);
// Without Redis, every test here stops with "Redis unreachable at …", not a failed assertion.
beforeAll(() => requireServices('redis'));
const backend = ONE_BACKEND;
const LIMIT = 20;
const INSTANCES = 2;
const OUTAGE = /^Redis unreachable/;
const RECOVERY = /^Redis reachable again/;

// Sign-ins hash passwords (scrypt): on a busy 2-core host a test of many may take minutes.
const SLOW_TEST_MS = 240_000;

interface Answer {
  data?: { login?: { token: string }; me?: { username: string } } | null;
  errors?: { extensions: { code: string } }[];
}

/**
 * A graph whose services share state through a Redis that goes away: every
 * signed call keeps working on the instance's own state, `/ready` says Redis
 * is down (and stays 200), the rate limit holds at the instance's share, and
 * each service logs the outage once and its end once.
 */
function outageGraph(relay: TcpRelay) {
  const gatewayLogs = new LogCapture('gateway');
  const subgraphLogs = new LogCapture('subgraphs');
  let graph: TestGraph;
  return {
    gatewayLogs,
    subgraphLogs,
    graph: () => graph,
    /** Starts the graph with its Redis through the relay, cut first when `cutFirst`. */
    async start(cutFirst: boolean) {
      const shared = { REDIS_URL: `redis://127.0.0.1:${await relay.start()}` };
      if (cutFirst) await relay.cut();
      graph = await startGraph(backend, {
        seed: true,
        // Sign-ins hash passwords: on a busy host they may take longer than the default 5 s.
        gatewayEnv: {
          ...shared,
          RATE_LIMIT_PER_MINUTE: String(LIMIT),
          RATE_LIMIT_INSTANCES: String(INSTANCES),
          SUBGRAPH_TIMEOUT_MS: '30000',
          REQUEST_TIMEOUT_MS: '30000',
        },
        subgraphEnv: shared,
        gatewayLog: gatewayLogs.log,
        subgraphLog: subgraphLogs.log,
      });
    },
  };
}

const send = (graph: TestGraph, body: unknown, address: string, headers: Record<string, string> = {}) =>
  sendRaw(new URL(graph.gatewayUrl).origin, {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
    localAddress: address,
  });

const signIn = (graph: TestGraph, username: string, password: string, address = freshClientAddress()) =>
  send(
    graph,
    {
      query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
      variables: { u: username, p: password },
    },
    address,
  );

async function ready(origin: string): Promise<{ status: number; redis: unknown }> {
  const response = await managementGet(origin, '/ready');
  const body = (await response.json()) as { dependencies: Record<string, string> };
  return { status: response.status, redis: body.dependencies.redis };
}

async function metric(origin: string, pattern: RegExp): Promise<number> {
  const text = await (await managementGet(origin, '/metrics')).text();
  const line = text.split('\n').find((candidate) => pattern.test(candidate));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Lines of `logs` from `service` whose message matches. */
const logged = (logs: LogCapture, service: string, message: RegExp) =>
  logs.entries().filter((entry) => entry.service === service && message.test(String(entry.msg))).length;

/** Everything a signed-in client does still works: sign-in, and a call with its token (checked at the user service). */
async function expectSignedCallsWork(graph: TestGraph): Promise<void> {
  const login = await signIn(graph, 'viewer', TEST_SEED_PASSWORD);
  expect({ status: login.status, errors: (login.json as Answer).errors }).toEqual({ status: 200, errors: undefined });
  const token = (login.json as Answer).data!.login!.token;
  const me = await send(graph, { query: '{ me { username } }' }, freshClientAddress(), {
    authorization: `Bearer ${token}`,
  });
  expect({ status: me.status, json: me.json }).toEqual({ status: 200, json: { data: { me: { username: 'viewer' } } } });
}

/** A signed request is served once by the user service and refused when replayed to it. */
async function expectReplayRefused(graph: TestGraph): Promise<void> {
  const body = JSON.stringify({ query: '{ __typename }' });
  const captured = await signedPost({ ...ANONYMOUS }, graph.subgraphs.user.graphqlUrl, body, { audience: 'user' });
  const first = await postGraphQL(graph.subgraphs.user.graphqlUrl, body, captured);
  expect({ status: first.status, data: first.data }).toEqual({ status: 200, data: { __typename: 'Query' } });
  const replayed = await postGraphQL(graph.subgraphs.user.graphqlUrl, body, captured);
  expect(replayed.status).toBe(401);
}

/** One client's requests to the one gateway: how many of `count` were served. */
async function served(graph: TestGraph, count: number): Promise<number[]> {
  const address = freshClientAddress();
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await send(graph, { query: '{ __typename }' }, address)).status);
  return statuses;
}

/** Concurrent wrong guesses at one account from one address: how many were checked (the rest refused). */
async function guessesChecked(graph: TestGraph, username: string): Promise<number> {
  const address = freshClientAddress();
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, i) => signIn(graph, username, `wrong-${i}`, address)),
  );
  const codes = answers.map((answer) => (answer.json as Answer).errors?.[0]?.extensions.code);
  expect(codes.every((code) => code === 'UNAUTHENTICATED' || code === 'RESOURCE_EXHAUSTED')).toBe(true);
  return codes.filter((code) => code === 'UNAUTHENTICATED').length;
}

describe(`Redis goes away mid-run (${backend})`, () => {
  const relay = new TcpRelay(REDIS.hostname, Number(REDIS.port || 6379));
  const setup = outageGraph(relay);
  const graph = () => setup.graph();
  const origins = () => ({ gateway: new URL(graph().gatewayUrl).origin, user: graph().subgraphs.user.url });
  // Log lines counted just before the cut.
  let outagesBefore = { gateway: 0, user: 0 };
  let recoveriesBefore = { gateway: 0, user: 0 };

  beforeAll(() => setup.start(false));
  afterAll(async () => {
    await graph()?.stop();
    await relay.stop();
  });

  it(
    'while Redis answers, /ready and redis_up say so and the whole limit is shared',
    async () => {
      await waitFor(
        async () => (await ready(origins().user)).redis === 'up' && (await ready(origins().gateway)).redis === 'up',
        20_000,
        'Redis up',
      );
      expect(await metric(origins().gateway, /^redis_up\{/)).toBe(1);
      await expectSignedCallsWork(graph());
      expect((await served(graph(), LIMIT + 1)).filter((status) => status === 200)).toHaveLength(LIMIT);
    },
    SLOW_TEST_MS,
  );

  it(
    'when the relay is cut, signed calls keep working, /ready is 200 with redis down, and the limit holds at the instance’s share',
    async () => {
      outagesBefore = {
        gateway: logged(setup.gatewayLogs, 'gateway', OUTAGE),
        user: logged(setup.subgraphLogs, 'user', OUTAGE),
      };
      recoveriesBefore = {
        gateway: logged(setup.gatewayLogs, 'gateway', RECOVERY),
        user: logged(setup.subgraphLogs, 'user', RECOVERY),
      };
      await relay.cut();
      await waitFor(
        async () => (await ready(origins().user)).redis === 'down' && (await ready(origins().gateway)).redis === 'down',
        20_000,
        'Redis down in /ready',
      );
      expect(await ready(origins().gateway)).toEqual({ status: 200, redis: 'down' });
      expect(await ready(origins().user)).toEqual({ status: 200, redis: 'down' });

      await expectSignedCallsWork(graph());
      await expectReplayRefused(graph());
      const statuses = await served(graph(), LIMIT / INSTANCES + 2);
      expect(statuses.filter((status) => status === 200)).toHaveLength(LIMIT / INSTANCES);
      expect(statuses.slice(-2)).toEqual([429, 429]);
      // The sign-in throttle still holds, in this instance's memory (LOGIN_MAX_FAILURES_PER_USER is 3 in tests).
      expect(await guessesChecked(graph(), 'lea.dubois')).toBeLessThanOrEqual(3);

      expect(await metric(origins().gateway, /^redis_up\{/)).toBe(0);
      expect(await metric(origins().user, /^redis_up\{/)).toBe(0);
      expect(await metric(origins().gateway, /^shared_state_fallbacks_total\{.*state="rate_limit"/)).toBeGreaterThan(0);
      expect(await metric(origins().user, /^shared_state_fallbacks_total\{.*state="nonces"/)).toBeGreaterThan(0);
      expect(await metric(origins().user, /^shared_state_fallbacks_total\{.*state="sign_in_throttle"/)).toBeGreaterThan(
        0,
      );
      // One line for the outage, however many requests fell back (counted before the cut: a busy host may have had one at start).
      expect(logged(setup.gatewayLogs, 'gateway', OUTAGE) - outagesBefore.gateway).toBe(1);
      expect(logged(setup.subgraphLogs, 'user', OUTAGE) - outagesBefore.user).toBe(1);
      expect(logged(setup.gatewayLogs, 'gateway', RECOVERY)).toBe(recoveriesBefore.gateway);
    },
    SLOW_TEST_MS,
  );

  it(
    'when the relay is restored, Redis is up again, logged once, and used again',
    async () => {
      await relay.restore();
      await waitFor(
        async () => (await ready(origins().user)).redis === 'up' && (await ready(origins().gateway)).redis === 'up',
        20_000,
        'Redis up again',
      );
      const recovered = () => ({
        gateway: logged(setup.gatewayLogs, 'gateway', RECOVERY) - recoveriesBefore.gateway,
        user: logged(setup.subgraphLogs, 'user', RECOVERY) - recoveriesBefore.user,
      });
      await waitFor(() => recovered().gateway >= 1 && recovered().user >= 1, 10_000, 'the recovery logged');
      const fallbacks = await metric(origins().user, /^shared_state_fallbacks_total\{.*state="nonces"/);
      await expectSignedCallsWork(graph());
      await expectReplayRefused(graph());
      expect(await metric(origins().user, /^shared_state_fallbacks_total\{.*state="nonces"/)).toBe(fallbacks);
      expect(await metric(origins().user, /^redis_up\{/)).toBe(1);
      expect(recovered()).toEqual({ gateway: 1, user: 1 });
      expect(logged(setup.gatewayLogs, 'gateway', OUTAGE) - outagesBefore.gateway).toBe(1);
      expect(logged(setup.subgraphLogs, 'user', OUTAGE) - outagesBefore.user).toBe(1);
    },
    SLOW_TEST_MS,
  );
});

describe(`Redis unreachable from the start (${backend})`, () => {
  const relay = new TcpRelay(REDIS.hostname, Number(REDIS.port || 6379));
  const setup = outageGraph(relay);
  const graph = () => setup.graph();

  beforeAll(() => setup.start(true));
  afterAll(async () => {
    await graph()?.stop();
    await relay.stop();
  });

  it(
    'serves signed calls on each instance’s own state, says so once, and is ready',
    async () => {
      const gateway = new URL(graph().gatewayUrl).origin;
      expect(await ready(gateway)).toEqual({ status: 200, redis: 'down' });
      expect(await ready(graph().subgraphs.user.url)).toEqual({ status: 200, redis: 'down' });
      await expectSignedCallsWork(graph());
      await expectReplayRefused(graph());
      const statuses = await served(graph(), LIMIT / INSTANCES + 1);
      expect(statuses.filter((status) => status === 200)).toHaveLength(LIMIT / INSTANCES);
      expect(await guessesChecked(graph(), 'lea.dubois')).toBeLessThanOrEqual(3);
      await waitFor(
        () => logged(setup.gatewayLogs, 'gateway', OUTAGE) >= 1 && logged(setup.subgraphLogs, 'user', OUTAGE) >= 1,
        10_000,
        'the outage logged',
      );
      expect(logged(setup.gatewayLogs, 'gateway', OUTAGE)).toBe(1);
      expect(logged(setup.subgraphLogs, 'user', OUTAGE)).toBe(1);
      expect(logged(setup.gatewayLogs, 'gateway', RECOVERY)).toBe(0);
    },
    SLOW_TEST_MS,
  );
});
