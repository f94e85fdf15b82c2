import { HeaderMap } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { IncomingMessage } from 'node:http';
import { optionalFlag } from '@car-check/service-kit';
import { sandboxLandingPage } from '../../devPages';
import { defineStage } from '../stage';

/** Apollo Sandbox on a browser's GET /graphql (LANDING_PAGE; off in production unless asked for). */
export const landingPage = defineStage({
  name: 'landingPage',
  env: { LANDING_PAGE: optionalFlag() },
  // production rides along: the Sandbox page links the bundled explorer only where it is served.
  configure: (env, { production }) => ({ landingPage: env.LANDING_PAGE ?? !production, production }),
  create: (config, { apollo }) => ({
    apollo: {
      plugins: [config.landingPage ? sandboxLandingPage(config) : ApolloServerPluginLandingPageDisabled()],
    },
    handle: async (request, next) => {
      if (!config.landingPage || !wantsLandingPage(request.http.req, request.http.url)) return next();
      const response = await apollo().executeHTTPGraphQLRequest({
        // Apollo Server renders its landing page for a GET that prefers HTML, before any context is needed.
        httpGraphQLRequest: {
          method: 'GET',
          headers: new HeaderMap([['accept', 'text/html']]),
          search: '',
          body: undefined,
        },
        context: async () => {
          throw new Error('the landing page needs no context');
        },
      });
      return { kind: 'apollo', response };
    },
  }),
});

function wantsLandingPage(req: IncomingMessage, url: URL): boolean {
  return (
    req.method === 'GET' &&
    !url.searchParams.has('query') &&
    !url.searchParams.has('extensions') &&
    (req.headers.accept ?? '').includes('text/html')
  );
}
