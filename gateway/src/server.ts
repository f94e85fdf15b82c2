import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express, type Response } from 'express';
import { STATUS } from '../../common/errors';
import type { Logger } from '../../common/logging/logger';
import { errorReportingPlugin } from '../../common/server/errorReportingPlugin';
import { formatError } from '../../common/server/formatError';
import { bodyErrorHandler, jsonBody, notFoundHandler } from '../../common/server/graphqlHttp';
import { mountHealth } from '../../common/server/health';
import { REQUEST_ID_HEADER, requestIdFrom } from '../../common/server/requestId';
import type { GatewayConfig } from './config';
import type { GatewayContext } from './context';
import { SubgraphDataSource } from './dataSource';

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

export interface Gateway {
  app: Express;
  apollo: ApolloServer<GatewayContext>;
  gateway: ApolloGateway;
}

/**
 * Builds the gateway: Apollo Gateway executing query plans over the composed
 * supergraph, served by Apollo Server on Express. Does not listen.
 */
export async function buildGateway(config: GatewayConfig, log: Logger): Promise<Gateway> {
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger: log,
    buildService: ({ name, url }) =>
      new SubgraphDataSource({
        name,
        url: config.subgraphUrls[name] ?? url ?? '',
        timeoutMs: config.subgraphTimeoutsMs[name] ?? DEFAULT_TIMEOUT_MS,
        log,
      }),
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    // Shutdown is ours (onShutdownSignal): close HTTP first, then Apollo, then the database.
    stopOnTerminationSignals: false,
    formatError,
    logger: log,
    plugins: [
      errorReportingPlugin<GatewayContext>(log),
      config.landingPage
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  mountHealth(app, 'gateway', async () => ({ supergraph: 'up' }));
  app.get('/', (_req, res) => res.redirect('/graphql'));
  app.use(
    '/graphql',
    jsonBody(config.bodyLimit),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
        res.setHeader(REQUEST_ID_HEADER, requestId);
        return { requestId, signal: abortOnDisconnect(res, requestId, log) };
      },
    }),
  );
  app.use(bodyErrorHandler);
  notFoundHandler(app);
  return { app, apollo, gateway };
}
