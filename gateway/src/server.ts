import { ApolloGateway } from '@apollo/gateway';
import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import cors from 'cors';
import express, { type Express } from 'express';
import {
  assignRequestId,
  serveFirst,
  buildVersion,
  closeRedis,
  connectRedis,
  errorReportingPlugin,
  formatError,
  graphqlOverHttpPlugin,
  type Logger,
  managementAccess,
  describeManagementAccess,
  mountHealth,
  notFoundHandler,
  redisDependency,
  REQUEST_ID_HEADER,
  requestLogPlugin,
  resolveSigningSecret,
  ServiceMetrics,
  startTracing,
  traceHttpRequests,
  tracingPlugin,
  withDegradable,
} from '@car-check/service-kit';
import { TokenVerifier } from './auth/tokenVerifier';
import { type GatewayConfig, subgraphTimeoutMs, subgraphUrl } from './config';
import type { GatewayContext } from './context';
import { servesDevPages } from './devPageList';
import { mountDevPages } from './devPages';
import { layeredGateway } from './execution/executor';
import { PlanRunner } from './execution/planner';
import { EXECUTOR_LAYERS } from './execution/layers';
import { stagedPlanCache } from './execution/stagedPlans';
import { handleGraphQL } from './pipeline/handleGraphQL';
import { STAGES } from './pipeline/stages';
import { gatewayReadiness } from './readiness';
import { notDeployed } from './supergraph/deployedCheck';
import { type ServedSchema, servedSchemaOf } from './supergraph/servedSchema';
import { supergraphSource, type LoadedSupergraph } from './supergraph/source';
import { SubgraphDataSource } from './subgraphClient/dataSource';
import { CONSISTENCY_TOKEN_HEADER } from './entityCache/consistencyToken';
import { GatewayEntityCache } from './entityCache/gatewayCache';
import { perCallerTypesOf } from './entityCache/policy';
import { LiveSubscriptions } from './subscriptions/liveSubscriptions';
import { serveWebSocketSubscriptions } from './subscriptions/webSocket';

/** How long the gateway waits for the user service's token status, and for a subgraph's SDL (the deployed check). */
const SERVICE_CALL_TIMEOUT_MS = 5_000;

export interface Gateway {
  app: Express;
  apollo: ApolloServer<GatewayContext>;
  gateway: ApolloGateway;
  /** Subscriptions: the WebSocket transport needs the HTTP server; a graceful shutdown ends them first. */
  subscriptions: {
    /** Serves graphql-transport-ws on `/graphql` of this server (its upgrades). */
    attach(server: Server): void;
    /** Ends every live subscription with its cursor (graceful shutdown), before the server drains. */
    close(graceMs: number): Promise<void>;
  };
}

/**
 * Builds the gateway: the request path's stages (pipeline/stages.ts) in front
 * of Apollo Server, which runs Apollo Gateway's query plans over the composed
 * supergraph through the executor layers (execution/layers.ts) and the
 * subgraph client (subgraphClient/layers.ts). Does not listen.
 */
export async function buildGateway(config: GatewayConfig, log: Logger): Promise<Gateway> {
  // Once per process (OTEL_* variables); Apollo Gateway's spans (gateway.request, plan, execute, fetch) go through it too.
  startTracing({ serviceName: 'gateway' });
  const signingSecret = await resolveSigningSecret(config.signing.source);
  const metrics = new ServiceMetrics('gateway');
  const redis = config.redisUrl ? connectRedis(config.redisUrl, log, metrics.registry) : null;
  const loaded: LoadedSupergraph = { hash: null, loadedAt: null };
  const dataSources = new Map<string, SubgraphDataSource>();
  const entityCache = config.entityCache
    ? new GatewayEntityCache({
        ...config.entityCache,
        signingSecret,
        subgraphUrl: (owner, routingUrl) => subgraphUrl(config, owner, routingUrl),
        timeoutMs: SERVICE_CALL_TIMEOUT_MS,
        log,
        registry: metrics.registry,
        redis,
      })
    : undefined;
  // The data source of each subgraph of the supergraph served (what a subscription's plan fetches through).
  let subgraphs: Record<string, SubgraphDataSource> = {};
  // Apollo Gateway reports usage to Apollo and probes cloud metadata addresses unless told
  // not to; a self-hosted graph sends nothing anywhere by default (APOLLO_TELEMETRY_DISABLED=false opts in).
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphSource(
      {
        path: config.supergraphPath,
        url: config.supergraphUrl,
        pollMs: config.supergraphPollMs,
        log,
        // A new supergraph is only taken once the running subgraphs can serve it (safe rollout).
        checkDeployed: (sdl) => notDeployed(sdl, { signingSecret, config, timeoutMs: SERVICE_CALL_TIMEOUT_MS }),
        onPending: (pending) => metrics.setSupergraphPending(pending),
      },
      loaded,
    ),
    logger: log,
    // Plans held in stages, so that one stage's entity fetches to a subgraph leave as one call (stagedPlans.ts).
    ...(config.mergeEntityFetches ? { queryPlannerConfig: { cache: stagedPlanCache() } } : {}),
    // One data source (and keep-alive pool) per subgraph address, reused across supergraph reloads.
    buildService: ({ name, url }) => {
      const target = subgraphUrl(config, name, url ?? '');
      const key = `${name} ${target}`;
      let source = dataSources.get(key);
      if (!source) {
        source = new SubgraphDataSource(
          {
            name,
            url: new URL(target),
            timeoutMs: subgraphTimeoutMs(config, name),
            log,
            signingSecret,
            metrics,
            // The inflight stage's DEDUPLICATE_QUERIES: inbound and outbound deduplication go together.
            deduplicate: config.deduplicateQueries,
            mergeFetches: config.mergeEntityFetches ? { maxBodyBytes: config.mergedFetchMaxBytes } : undefined,
          },
          entityCache,
        );
        dataSources.set(key, source);
      }
      subgraphs = { ...subgraphs, [name]: source };
      return source;
    },
  });

  const version = buildVersion();
  // Set once /ready is mounted; its background checks of the subgraphs stop with Apollo.
  let stopReadiness = () => undefined as void;
  // Kept in step with every supergraph the gateway loads, including hot reloads.
  let served: ServedSchema | undefined;
  // The planner of subscriptions, over the same supergraph (rebuilt with it: live subscriptions re-plan).
  let runner: PlanRunner | undefined;
  // Types whose fields answer per caller: subscriptions that select one are shared only by the same caller.
  let perCallerTypes: ReadonlySet<string> = new Set();
  const schemaListeners: (() => void)[] = [];
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    // Apollo Gateway's API schema, built by the same rules as apiSchemaOf: not built twice.
    served = servedSchemaOf(coreSupergraphSdl, config.queryLimits.defaultListSize, apiSchema);
    entityCache?.onSupergraph(coreSupergraphSdl);
    runner = new PlanRunner(coreSupergraphSdl, apiSchema);
    perCallerTypes = perCallerTypesOf(coreSupergraphSdl);
    for (const listener of schemaListeners) listener();
    // After the source has recorded the new supergraph's hash (it does so once the gateway took it).
    queueMicrotask(() => metrics.setBuildInfo(version, loaded.hash));
  });

  const verifier = new TokenVerifier({
    jwksUrl: config.jwksUrl,
    tokenStatusUrl: config.tokenStatusUrl,
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    statusCacheMs: config.tokenStatusCacheMs,
    signingSecret,
    timeoutMs: SERVICE_CALL_TIMEOUT_MS,
    log,
  });
  // Set right below: no request reaches a stage before Apollo has started.
  // eslint-disable-next-line prefer-const -- assigned once below, after the stages that read it are built
  let apollo: ApolloServer<GatewayContext> | undefined;
  const subscriptions = new LiveSubscriptions(config.subscriptions, {
    runner: () => runner,
    subgraphs: () => subgraphs,
    served: () => served,
    layers: EXECUTOR_LAYERS,
    verifier,
    perCallerTypes: () => perCallerTypes,
    log,
  });
  const stages = STAGES.create(config, {
    subscriptions,
    deferred: { runner: () => runner, subgraphs: () => subgraphs, layers: EXECUTOR_LAYERS },
    log,
    metrics,
    redis,
    verifier,
    served: () => served,
    onSchemaChange: (listener) => schemaListeners.push(listener),
    apollo: () => {
      if (!apollo) throw new Error('a stage asked for Apollo Server before it started');
      return apollo;
    },
  });
  const contributions = stages.flatMap((stage) => (stage.apollo ? [stage.apollo] : []));
  const documentStores = contributions.flatMap((contribution) =>
    contribution.documentStore ? [contribution.documentStore] : [],
  );
  if (documentStores.length > 1) throw new Error('two stages give Apollo Server a document store; it takes one');

  apollo = new ApolloServer<GatewayContext>({
    gateway: layeredGateway(gateway, EXECUTOR_LAYERS, () => served),
    // Parsing, limits and validation happen once, in the request path (stages/documents.ts): Apollo
    // finds each admitted document already validated in this store.
    documentStore: documentStores[0],
    parseOptions: { maxTokens: config.queryLimits.maxTokens },
    // Persisted queries are resolved in the request path too, so that they cross the same limits.
    persistedQueries: false,
    allowBatchedHttpRequests: false,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    // Shutdown is ours (onShutdownSignal): close HTTP first, then Apollo.
    stopOnTerminationSignals: false,
    formatError,
    logger: log,
    plugins: [
      {
        async serverWillStart() {
          return {
            serverWillStop: async () => {
              stopReadiness();
              entityCache?.stop();
              // Open streams would hold the subgraphs' pools open: each ends first, with its cursor.
              await subscriptions.close(config.shutdownGraceMs);
              await Promise.all([...dataSources.values()].map((source) => source.close()));
              await closeRedis(redis);
            },
          };
        },
      },
      errorReportingPlugin<GatewayContext>(log),
      requestLogPlugin<GatewayContext>(log, metrics),
      tracingPlugin<GatewayContext>(),
      graphqlOverHttpPlugin<GatewayContext>(),
      // The stages' own (the landing page's).
      ...contributions.flatMap((contribution) => contribution.plugins ?? []),
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  // Every answer carries a request id, even a 404.
  app.use(assignRequestId);
  // The graph first, so that its requests (nearly all of them) do not walk Express's router
  // through every other route: under load that walk was 5 % of a worker's CPU. Its server span
  // is started here, as traceHttpRequests below starts every other route's.
  const graphqlRoute = [
    traceHttpRequests('gateway'),
    cors({
      origin: config.corsOrigins,
      credentials: true,
      maxAge: 600,
      exposedHeaders: [REQUEST_ID_HEADER, CONSISTENCY_TOKEN_HEADER, 'age'],
    }),
    handleGraphQL({
      handlers: stages.map((stage) => stage.handle),
      log,
      metrics,
      heartbeatMs: config.subscriptions.heartbeatMs,
    }),
  ];
  app.all('/graphql', ...graphqlRoute);
  // And `/graphql` exactly, as nearly every request spells it, without Express's router at all.
  serveFirst(app, {
    path: '/graphql',
    handlers: [assignRequestId, ...graphqlRoute],
    onError: (error) => log.error({ err: error }, 'unexpected error in the request path'),
  });
  const management = managementAccess(config.managementToken);
  log[management.configured ? 'info' : 'warn'](describeManagementAccess(management, config.production));
  stopReadiness = mountHealth(
    app,
    'gateway',
    // Redis is shown but never makes the gateway unready: the rate limit falls back to this instance.
    withDegradable(gatewayReadiness(config, loaded), () => redisDependency(redis)),
    () => ({
      supergraph: {
        hash: loaded.hash,
        loadedAt: loaded.loadedAt?.toISOString() ?? null,
        pending: loaded.pending
          ? {
              hash: loaded.pending.hash,
              since: loaded.pending.since.toISOString(),
              notDeployed: loaded.pending.subgraphs,
            }
          : null,
      },
      // Live subscriptions of this process (SUBSCRIPTIONS_PER_PROCESS bounds them).
      // `upstreams`: streams from subgraphs, one per group of identical subscriptions (they share it).
      subscriptions: { live: subscriptions.size, upstreams: subscriptions.upstreams },
    }),
    () => ({ version, schemaHash: loaded.hash }),
    management,
  );
  metrics.mount(app, management);
  // One server span per request (health checks and metrics scrapes aside), continuing the client's traceparent.
  app.use(traceHttpRequests('gateway'));
  app.get('/', (_req, res) => res.redirect('/graphql'));
  if (servesDevPages(config)) mountDevPages(app, config.webDist);
  notFoundHandler(app);
  // Set once the WebSocket transport is attached to the listening server.
  let closeWebSockets = async () => undefined as void;
  return {
    app,
    apollo,
    gateway,
    subscriptions: {
      attach: (server) => {
        closeWebSockets = serveWebSocketSubscriptions(server, {
          stages,
          log,
          heartbeatMs: config.subscriptions.heartbeatMs,
          served: () => served,
        });
      },
      close: async (graceMs) => {
        await subscriptions.close(graceMs);
        await closeWebSockets();
      },
    },
  };
}
