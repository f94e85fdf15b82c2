import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type Express, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { CallerIdentity } from '../../common/auth/identity';
import type { Requirements } from '../../common/auth/requirements';
import { resolveSigningSecret } from '../../common/config/signing';
import { STATUS } from '../../common/errors';
import type { Logger } from '../../common/logging/logger';
import { ServiceMetrics } from '../../common/metrics/metrics';
import { errorReportingPlugin } from '../../common/server/errorReportingPlugin';
import { requestLogPlugin } from '../../common/server/requestLogPlugin';
import { formatError } from '../../common/server/formatError';
import { bodyErrorHandler, jsonBody, notFoundHandler } from '../../common/server/graphqlHttp';
import { mountHealth } from '../../common/server/health';
import { assignRequestId, REQUEST_ID_HEADER } from '../../common/server/requestId';
import { authenticate } from './auth/authenticate';
import { authorizingExecutor, requirementsOfSupergraph } from './auth/authorizeOperation';
import { TokenVerifier } from './auth/tokenVerifier';
import { limitQueryShape, rateLimit } from './limits/limitRequests';
import type { GatewayConfig } from './config';
import type { GatewayContext } from './context';
import { SubgraphDataSource } from './dataSource';
import { gatewayReadiness } from './readiness';
import { supergraphSource, type LoadedSupergraph } from './supergraph/source';

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * An AbortSignal that fires when the client goes away before its answer is
 * written, so the gateway stops waiting on subgraphs for nobody.
 */
function abortOnDisconnect(res: Response, requestId: string, log: Logger): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (res.writableFinished) return;
    controller.abort();
    log.info({ requestId, code: 'CANCELLED', grpcStatus: STATUS.CANCELLED.grpcStatus }, 'client disconnected; subgraph calls aborted');
  });
  return controller.signal;
}

/**
 * Apollo Gateway with the supergraph's authorization directives enforced
 * before planning (see authorizeOperation.ts).
 */
function authorizingGateway(gateway: ApolloGateway): GatewayInterface {
  // Kept in step with every supergraph the gateway loads, including hot reloads.
  let state: { schema: GraphQLSchema; requirements: Requirements } | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    state = { schema: apiSchema, requirements: requirementsOfSupergraph(coreSupergraphSdl) };
  });
  return {
    async load(options) {
      const loaded = await gateway.load(options as Parameters<ApolloGateway['load']>[0]);
      if (!state) throw new Error('The gateway loaded no supergraph; refusing to serve without its authorization rules.');
      const executor = authorizingExecutor(loaded.executor as never, () => state!);
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
  const signingSecret = await resolveSigningSecret(config.signing.source);
  const metrics = new ServiceMetrics('gateway');
  const loaded: LoadedSupergraph = { hash: null, loadedAt: null };
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphSource(
      { path: config.supergraphPath, url: config.supergraphUrl, pollMs: config.supergraphPollMs, log },
      loaded,
    ),
    logger: log,
    buildService: ({ name, url }) =>
      new SubgraphDataSource({
        name,
        url: config.subgraphUrls[name] ?? url ?? '',
        timeoutMs: config.subgraphTimeoutsMs[name] ?? DEFAULT_TIMEOUT_MS,
        log,
        signingSecret,
        metrics,
      }),
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway: authorizingGateway(gateway),
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    // Shutdown is ours (onShutdownSignal): close HTTP first, then Apollo.
    stopOnTerminationSignals: false,
    formatError,
    logger: log,
    plugins: [
      errorReportingPlugin<GatewayContext>(log),
      requestLogPlugin<GatewayContext>(log, metrics),
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
  mountHealth(app, 'gateway', gatewayReadiness(config, loaded), () => ({
    supergraph: { hash: loaded.hash, loadedAt: loaded.loadedAt?.toISOString() ?? null },
  }));
  metrics.mount(app);
  app.get('/', (_req, res) => res.redirect('/graphql'));
  app.use(
    '/graphql',
    cors({ origin: config.corsOrigins, credentials: true, maxAge: 600, exposedHeaders: [REQUEST_ID_HEADER] }),
    assignRequestId,
    jsonBody(config.bodyLimit),
    limitQueryShape(config.queryLimits),
    authenticate(verifier, log),
    rateLimit(config.rateLimitPerMinute, log),
    expressMiddleware(apollo, {
      context: async ({ res }) => {
        const requestId = res.locals.requestId as string;
        return {
          requestId,
          caller: res.locals.caller as CallerIdentity,
          signal: abortOnDisconnect(res, requestId, log),
          subgraphCalls: [],
        };
      },
    }),
  );
  app.use(bodyErrorHandler);
  notFoundHandler(app);
  return { app, apollo, gateway };
}
