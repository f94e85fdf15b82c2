import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import cors from 'cors';
import express, { type Express } from 'express';
import { parse } from 'graphql';
import {
  assignRequestId,
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
  readRequirements,
  redisDependency,
  REQUEST_ID_HEADER,
  requestLogPlugin,
  type Requirements,
  resolveSigningSecret,
  ServiceMetrics,
  startTracing,
  traceHttpRequests,
  tracingPlugin,
  withDegradable,
} from '@car-check/service-kit';
import { authorizingExecutor } from './auth/authorizeOperation';
import { TokenVerifier } from './auth/tokenVerifier';
import { readCostModel } from './limits/costModel';
import type { GatewayConfig } from './config';
import type { GatewayContext } from './context';
import { SubgraphDataSource } from './dataSource';
import { mountDevPages } from './devPages';
import { Admission } from './pipeline/admission';
import { Documents, type ServedSchema } from './pipeline/documents';
import { handleGraphQL } from './pipeline/handleGraphQL';
import { parseByteSize } from './pipeline/intake';
import { InflightQueries } from './pipeline/inflight';
import { OperationTexts } from './pipeline/operationText';
import { gatewayReadiness } from './readiness';
import { notDeployed } from './supergraph/deployedCheck';
import { supergraphSource, type LoadedSupergraph } from './supergraph/source';

const DEFAULT_TIMEOUT_MS = 5_000;
// Operation text kept parsed; the syntax trees take some 20-50 times more memory.
const DOCUMENT_CACHE_BYTES = 4 * 1024 * 1024;

/** What the gateway derives from each supergraph it loads: the API schema, its costs and its authorization rules. */
interface SchemaState extends ServedSchema {
  requirements: Requirements;
}

/**
 * Apollo Gateway with the supergraph's authorization directives enforced
 * before planning (see authorizeOperation.ts).
 */
function authorizingGateway(gateway: ApolloGateway, state: () => SchemaState | undefined): GatewayInterface {
  return {
    async load(options) {
      const loaded = await gateway.load(options as Parameters<ApolloGateway['load']>[0]);
      if (!state()) throw new Error('The gateway loaded no supergraph; refusing to serve without its authorization rules.');
      const executor = authorizingExecutor(loaded.executor as never, () => state()!);
      return { schema: loaded.schema, executor } as unknown as Awaited<ReturnType<GatewayInterface['load']>>;
    },
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback as never),
    stop: () => gateway.stop(),
  };
}

export interface Gateway {
  app: Express;
  apollo: ApolloServer<GatewayContext>;
  gateway: ApolloGateway;
}

/**
 * Builds the gateway: authentication, then Apollo Gateway executing query
 * plans over the composed supergraph, served by Apollo Server on Express.
 * Does not listen.
 */
export async function buildGateway(config: GatewayConfig, log: Logger): Promise<Gateway> {
  // Once per process (OTEL_* variables); Apollo Gateway's spans (gateway.request, plan, execute, fetch) go through it too.
  startTracing({ serviceName: 'gateway' });
  const signingSecret = await resolveSigningSecret(config.signing.source);
  const metrics = new ServiceMetrics('gateway');
  const redis = config.redisUrl ? connectRedis(config.redisUrl, log, metrics.registry) : null;
  const loaded: LoadedSupergraph = { hash: null, loadedAt: null };
  const dataSources = new Map<string, SubgraphDataSource>();
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
        checkDeployed: (sdl) => notDeployed(sdl, { signingSecret, subgraphUrls: config.subgraphUrls, timeoutMs: DEFAULT_TIMEOUT_MS }),
        onPending: (pending) => metrics.setSupergraphPending(pending),
      },
      loaded,
    ),
    logger: log,
    // One data source (and keep-alive pool) per subgraph address, reused across supergraph reloads.
    buildService: ({ name, url }) => {
      const target = config.subgraphUrls[name] ?? url ?? '';
      const key = `${name} ${target}`;
      let source = dataSources.get(key);
      if (!source) {
        source = new SubgraphDataSource({
          name,
          url: target,
          timeoutMs: config.subgraphTimeoutsMs[name] ?? DEFAULT_TIMEOUT_MS,
          log,
          signingSecret,
          metrics,
          deduplicate: config.deduplicateQueries,
        });
        dataSources.set(key, source);
      }
      return source;
    },
  });

  const version = buildVersion();
  // Set once /ready is mounted; its background checks of the subgraphs stop with Apollo.
  let stopReadiness = () => undefined as void;
  const documents = new Documents({ limits: config.queryLimits, introspection: config.introspection, cacheBytes: DOCUMENT_CACHE_BYTES });
  // Kept in step with every supergraph the gateway loads, including hot reloads.
  let state: SchemaState | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    const supergraph = parse(coreSupergraphSdl);
    state = {
      schema: apiSchema,
      costModel: readCostModel(supergraph, config.queryLimits.defaultListSize),
      requirements: readRequirements(supergraph),
    };
    documents.schemaChanged();
    // After the source has recorded the new supergraph's hash (it does so once the gateway took it).
    queueMicrotask(() => metrics.setBuildInfo(version, loaded.hash));
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway: authorizingGateway(gateway, () => state),
    // Parsing, limits and validation happen once, in the request path (pipeline/): Apollo
    // finds each admitted document already validated in this store.
    documentStore: documents,
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
      config.landingPage
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  const verifier = new TokenVerifier({
    jwksUrl: config.jwksUrl,
    tokenStatusUrl: config.tokenStatusUrl,
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    statusCacheMs: config.tokenStatusCacheMs,
    signingSecret,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    log,
  });

  const app = express();
  app.disable('x-powered-by');
  // Every answer carries a request id, even a 404.
  app.use(assignRequestId);
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
        pending: loaded.pending ? { hash: loaded.pending.hash, since: loaded.pending.since.toISOString(), notDeployed: loaded.pending.subgraphs } : null,
      },
    }),
    () => ({ version, schemaHash: loaded.hash }),
    management,
  );
  metrics.mount(app, management);
  // One server span per request (health checks and metrics scrapes aside), continuing the client's traceparent.
  app.use(traceHttpRequests('gateway'));
  app.get('/', (_req, res) => res.redirect('/graphql'));
  // Never in production, even with LANDING_PAGE=true: these are development pages.
  if (!config.production && config.landingPage) mountDevPages(app, config.webDist);
  app.all(
    '/graphql',
    cors({ origin: config.corsOrigins, credentials: true, maxAge: 600, exposedHeaders: [REQUEST_ID_HEADER] }),
    handleGraphQL({
      apollo,
      admission: Admission.create(config.rateLimitPerMinute, redis, config.rateLimitInstances),
      verifier,
      texts: new OperationTexts(config.persistedQueriesBytes, config.trustedDocuments),
      inflight: config.deduplicateQueries ? new InflightQueries() : null,
      documents,
      served: () => state,
      intake: { bodyLimitBytes: parseByteSize(config.bodyLimit), maxNesting: config.queryLimits.maxNesting },
      requestTimeoutMs: config.requestTimeoutMs,
      landingPage: config.landingPage,
      log,
      metrics,
    }),
  );
  notFoundHandler(app);
  return { app, apollo, gateway };
}
