import { HeaderMap } from '@apollo/server';
import { defineStage, need } from '../stage';

/**
 * The last stage: Apollo Server executes the admitted document (Apollo
 * Gateway plans it; the executor's own layers are in execution/layers.ts).
 */
export const execute = defineStage({
  name: 'execute',
  env: {},
  configure: () => ({}),
  create:
    (_config, { apollo }) =>
    async (request) => {
      const params = need(request.params, 'GraphQL request');
      const context = need(request.context, 'context');
      const response = await apollo().executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: 'POST',
          // The media type already chosen: Apollo's graphqlOverHttpPlugin sets the status and content type from it.
          headers: new HeaderMap([
            ['content-type', 'application/json'],
            ['accept', need(request.mediaType, 'media type')],
          ]),
          search: '',
          body: {
            query: need(request.text, 'operation text').query,
            variables: params.variables,
            ...(params.operationName !== undefined ? { operationName: params.operationName } : {}),
          },
        },
        context: async () => context,
      });
      return { kind: 'apollo', response };
    },
});
