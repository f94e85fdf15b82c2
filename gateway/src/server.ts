import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import type { Logger } from '../../common/logging/logger';
import { createErrorFormatter } from '../../common/server/formatError';
import { bodyErrorHandler, jsonBody, notFoundHandler } from '../../common/server/graphqlHttp';
import { mountHealth } from '../../common/server/health';
import { REQUEST_ID_HEADER, requestIdFrom } from '../../common/server/requestId';
import type { GatewayConfig } from './config';
import type { GatewayContext } from './context';
import { SubgraphDataSource } from './dataSource';

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
    buildService: ({ name, url }) => new SubgraphDataSource({ url: config.subgraphUrls[name] ?? url }),
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    // Shutdown is ours (onShutdownSignal): close HTTP first, then Apollo, then the database.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(log),
    logger: log,
    plugins: [
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
        return { requestId };
      },
    }),
  );
  app.use(bodyErrorHandler);
  notFoundHandler(app);
  return { app, apollo, gateway };
}
