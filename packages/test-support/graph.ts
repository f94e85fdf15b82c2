import { listen, subgraphNames, subgraphUrlVariable, type Logger } from '@car-check/service-kit';
import { loadGatewayConfig } from '../../gateway/src/config';
import { buildGateway } from '../../gateway/src/server';
import type { Backend } from './config';
import { postGraphQL, type GraphQLResponse } from './graphql';
import { TEST_ENV, TEST_SEED_PASSWORD } from './secrets';
import { silentLogger, startSubgraph, type SubgraphName, type TestSubgraph } from './subgraphs';
import { createMigratedDatabases } from './templates';

type Query = <Data = Record<string, unknown>>(
  query: string,
  variables?: Record<string, unknown>,
  headers?: Record<string, string>,
) => Promise<GraphQLResponse<Data>>;

/**
 * The subgraphs the end-to-end tests query by name. The graph that starts is
 * every subgraph supergraph.yaml lists (startGraph checks these are among them).
 */
export type GraphSubgraph = 'car' | 'cost-center' | 'user' | 'webhook' | 'report';

export interface TestGraph {
  gatewayUrl: string;
  /** The gateway's environment (configuration), for another gateway run as a process of its own. */
  gatewayEnv: NodeJS.ProcessEnv;
  /** Every subgraph supergraph.yaml lists, by name (typed with the ones these tests query). */
  subgraphs: Record<GraphSubgraph, TestSubgraph>;
  /** Sends a query through the gateway over HTTP, signed in as the seeded `admin` (seeded graphs only). */
  query: Query;
  /** Sends a query with no credentials. */
  anonymous: Query;
  /** Sends a query signed in as a seeded user (`admin`, `manager`, `viewer`, ...). */
  as(username: string): Query;
  /** A fresh access token for a seeded user. */
  login(username: string, password?: string): Promise<string>;
  /** Stops one subgraph, as if it crashed; the gateway keeps running. */
  stopSubgraph(name: SubgraphName): Promise<void>;
  /** Starts a stopped subgraph again at the same address, on the same database. */
  restartSubgraph(name: SubgraphName): Promise<void>;
  /** Another instance of a subgraph on the same database (stopped with the graph). */
  startInstance(name: SubgraphName): Promise<TestSubgraph>;
  /** Another gateway in front of the same subgraphs, or of other instances of some of them (stopped with the graph). */
  startGateway(routes?: Partial<Record<SubgraphName, string>>, env?: NodeJS.ProcessEnv): Promise<string>;
  /** Another gateway in front of the same subgraphs that can be stopped and started again at the same address. */
  startRestartableGateway(env?: NodeJS.ProcessEnv): Promise<RestartableGateway>;
  stop(): Promise<void>;
}

/**
 * A gateway a test restarts: `stop` shuts it down as SIGTERM does (every stream ended with its cursor,
 * then the server drained), `start` builds a new one (nothing kept in memory) on the same port.
 */
export interface RestartableGateway {
  /** Its /graphql, the same across restarts. */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface StartGraphOptions {
  seed?: boolean;
  /** Extra gateway environment, e.g. deadlines. */
  gatewayEnv?: NodeJS.ProcessEnv;
  /** Where the gateway should reach a subgraph instead of its own address (a proxy). */
  routeThrough?: Partial<Record<SubgraphName, (subgraphUrl: string) => Promise<string>>>;
  gatewayLog?: Logger;
  /** Where the subgraphs log (default: nowhere). */
  subgraphLog?: Logger;
  /** Subgraphs that are down when the gateway starts (restart them with restartSubgraph). */
  downAtStart?: SubgraphName[];
  /** Extra environment for every subgraph, e.g. REDIS_URL. */
  subgraphEnv?: NodeJS.ProcessEnv;
  /**
   * Extra environment for some subgraphs only (over subgraphEnv), e.g. a fast EVENTS_POLL_MS for the
   * consumer a suite tests, where the other subgraphs' consumers polling as fast would only cost CPU.
   */
  subgraphEnvOf?: Partial<Record<SubgraphName, NodeJS.ProcessEnv>>;
}

/**
 * The gateway's deadlines in these graphs. The defaults (5 s a subgraph, 15 s a request) are for
 * a service with cores of its own; here a 2-core machine runs two suites, each a whole graph, and a
 * mutation that hashes a password or writes events can take longer than 5 s. A suite about
 * deadlines sets its own (gatewayEnv), which wins.
 */
const LOADED_MACHINE_DEADLINES: NodeJS.ProcessEnv = { SUBGRAPH_TIMEOUT_MS: '30000', REQUEST_TIMEOUT_MS: '30000' };

/**
 * Starts the whole graph as a client meets it: three subgraphs and the gateway,
 * each on a free port, on fresh databases of the given backend (copies of a migrated template:
 * see templates.ts).
 */
export async function startGraph(backend: Backend, options: StartGraphOptions = {}): Promise<TestGraph> {
  const names = subgraphNames();
  const databases = await createMigratedDatabases(backend, names);
  // Filled in once every subgraph listens; subgraphs look their peers up on first use.
  const peers: Record<string, string> = {};
  const subgraphs: Record<SubgraphName, TestSubgraph> = {};
  const running = new Set<SubgraphName>();
  const at = (name: SubgraphName): TestSubgraph => {
    const subgraph = subgraphs[name];
    if (!subgraph) throw new Error(`No subgraph "${name}" in this graph; supergraph.yaml lists ${names.join(', ')}.`);
    return subgraph;
  };
  const envOf = (name: SubgraphName): NodeJS.ProcessEnv | undefined =>
    options.subgraphEnvOf?.[name] ? { ...options.subgraphEnv, ...options.subgraphEnvOf[name] } : options.subgraphEnv;
  const start = async (name: SubgraphName, port?: number) => {
    subgraphs[name] = await startSubgraph(name, await databases.target(name), {
      // Seeding is idempotent; a restarted in-memory PGlite database needs it again.
      seed: options.seed,
      peers,
      port,
      log: options.subgraphLog?.child({ service: name }),
      env: envOf(name),
    });
    running.add(name);
  };
  const stopOne = async (name: SubgraphName) => {
    if (!running.delete(name)) return;
    await at(name).stop();
  };
  try {
    await Promise.all(names.map((name) => start(name)));
    for (const name of names) peers[name] = at(name).graphqlUrl;
    // The gateway learns the user service's address (for keys and token status) before it may go down.
    const userUrl = at('user').graphqlUrl;
    await Promise.all((options.downAtStart ?? []).map(stopOne));

    const env: NodeJS.ProcessEnv = {
      ...TEST_ENV,
      GATEWAY_PORT: '0',
      ...LOADED_MACHINE_DEADLINES,
      ...options.gatewayEnv,
    };
    for (const name of names) {
      const via = options.routeThrough?.[name];
      env[subgraphUrlVariable(name)] = via ? await via(at(name).graphqlUrl) : at(name).graphqlUrl;
    }
    env.JWKS_URL ??= new URL('/.well-known/jwks.json', userUrl).toString();
    env.TOKEN_STATUS_URL ??= new URL('/internal/token-status', userUrl).toString();
    const gateway = await buildGateway(loadGatewayConfig(env), options.gatewayLog ?? silentLogger('gateway'));
    const server = await listen(gateway.app, '127.0.0.1', 0);
    gateway.subscriptions.attach(server.server);
    const gatewayUrl = `${server.url}/graphql`;
    const extras: (() => Promise<void>)[] = [];

    // A sign-in is a deliberately slow hash; on a loaded machine, just after a graph starts (its read
    // models applying the seed's events), one can miss the gateway's deadline. The suites that use
    // this test other things, so a sign-in cut off by the deadline is tried again, twice at most.
    const login = async (username: string, password = TEST_SEED_PASSWORD) => {
      for (let attempt = 1; ; attempt += 1) {
        const response = await postGraphQL<{ login: { token: string } }>(gatewayUrl, {
          query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
          variables: { u: username, p: password },
        });
        if (response.data?.login) return response.data.login.token;
        const timedOut = response.errors?.some((error) => error.extensions?.code === 'DEADLINE_EXCEEDED');
        if (!timedOut || attempt === 3) {
          throw new Error(`login as ${username} failed: ${JSON.stringify(response.errors)}`);
        }
      }
    };
    const tokens = new Map<string, Promise<string>>();
    const as =
      (username: string): Query =>
      async (query, variables, headers = {}) => {
        if (!tokens.has(username)) {
          const token = login(username);
          // A failed sign-in is not kept: the next query signs in again.
          token.catch(() => tokens.delete(username));
          tokens.set(username, token);
        }
        const token = await tokens.get(username)!;
        return postGraphQL(gatewayUrl, { query, variables }, { authorization: `Bearer ${token}`, ...headers });
      };

    return {
      gatewayUrl,
      gatewayEnv: env,
      subgraphs: subgraphs as TestGraph['subgraphs'],
      query: as('admin'),
      anonymous: (query, variables, headers) => postGraphQL(gatewayUrl, { query, variables }, headers),
      as,
      login,
      stopSubgraph: stopOne,
      restartSubgraph: (name) => start(name, Number(new URL(at(name).url).port)),
      async startInstance(name) {
        const instance = await startSubgraph(name, await databases.target(name), {
          peers,
          log: options.subgraphLog?.child({ service: name }),
          env: envOf(name),
        });
        extras.push(() => instance.stop());
        return instance;
      },
      async startGateway(routes = {}, extraEnv = {}) {
        const other: NodeJS.ProcessEnv = { ...env, ...extraEnv };
        for (const [name, url] of Object.entries(routes)) other[subgraphUrlVariable(name)] = url;
        if (routes.user) {
          other.JWKS_URL = new URL('/.well-known/jwks.json', routes.user).toString();
          other.TOKEN_STATUS_URL = new URL('/internal/token-status', routes.user).toString();
        }
        const second = await buildGateway(loadGatewayConfig(other), options.gatewayLog ?? silentLogger('gateway'));
        const secondServer = await listen(second.app, '127.0.0.1', 0);
        second.subscriptions.attach(secondServer.server);
        extras.push(async () => {
          await second.subscriptions.close(1_000);
          await secondServer.close();
          await second.apollo.stop();
        });
        return `${secondServer.url}/graphql`;
      },
      async startRestartableGateway(extraEnv = {}) {
        const config = loadGatewayConfig({ ...env, ...extraEnv });
        let port = 0;
        let origin = '';
        let running: (() => Promise<void>) | undefined;
        const start = async () => {
          if (running) return;
          const built = await buildGateway(config, options.gatewayLog ?? silentLogger('gateway'));
          const builtServer = await listen(built.app, '127.0.0.1', port);
          built.subscriptions.attach(builtServer.server);
          port = Number(new URL(builtServer.url).port);
          origin ||= builtServer.url;
          running = async () => {
            await built.subscriptions.close(1_000);
            await builtServer.close();
            await built.apollo.stop();
          };
        };
        const stop = async () => {
          const stopRunning = running;
          running = undefined;
          await stopRunning?.();
        };
        await start();
        extras.push(stop);
        return { url: `${origin}/graphql`, start, stop };
      },
      async stop() {
        for (const stopExtra of extras.reverse()) await stopExtra();
        // Streams never end by themselves: ended first, as a graceful shutdown does.
        await gateway.subscriptions.close(1_000);
        await server.close();
        await gateway.apollo.stop();
        await Promise.all(names.map(stopOne));
        await databases.drop();
      },
    };
  } catch (error) {
    await Promise.all(names.map((name) => stopOne(name).catch(() => undefined)));
    await databases.drop().catch(() => undefined);
    throw error;
  }
}
