import { HeaderMap } from '@apollo/server';
import { flag } from '@car-check/service-kit';
import { PlanAnswers } from '../planAnswers';
import { defineStage, need } from '../stage';

/**
 * The last stage: Apollo Server executes the admitted document (Apollo
 * Gateway plans it; the executor's own layers are in execution/layers.ts),
 * except a query whose plan the gateway runs itself and whose answer it makes
 * as Apollo would, which is answered without Apollo's pipeline
 * (FAST_SINGLE_FETCH, FAST_PLAN_EXECUTION, planAnswers.ts).
 */
export const execute = defineStage({
  name: 'execute',
  env: { FAST_SINGLE_FETCH: flag(true), FAST_PLAN_EXECUTION: flag(true) },
  configure: (env) => ({
    /**
     * A query planned as one fetch, whose data is the answer as is, is answered without Apollo
     * Server’s pipeline and Apollo Gateway’s executor: the same fetch, answer, log line and metrics.
     */
    fastSingleFetch: env.FAST_SINGLE_FETCH,
    /**
     * A query planned as several fetches has its plan run by the gateway's own executor, step for step as
     * Apollo Gateway's, and, when the data makes the answer as Apollo would make it, is answered without Apollo.
     */
    fastPlanExecution: env.FAST_PLAN_EXECUTION,
  }),
  create: (config, { apollo, deferred, served, log, metrics }) => {
    const options = { single: config.fastSingleFetch, several: config.fastPlanExecution };
    const plans =
      options.single || options.several ? new PlanAnswers({ ...deferred, served, log, metrics }, options) : undefined;
    return async (request) => {
      const params = need(request.params, 'GraphQL request');
      const context = need(request.context, 'context');
      const text = need(request.text, 'operation text');
      const mediaType = need(request.mediaType, 'media type');
      if (plans) {
        const response = await plans.answer({
          document: need(request.document, 'document'),
          operation: need(request.operation, 'operation'),
          params,
          mediaType,
          context,
          queryHash: text.hash,
          source: text.query,
          started: request.started,
          span: request.span,
        });
        if (response) return { kind: 'apollo', response };
      }
      const response = await apollo().executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: 'POST',
          // The media type already chosen: Apollo's graphqlOverHttpPlugin sets the status and content type from it.
          headers: new HeaderMap([
            ['content-type', 'application/json'],
            ['accept', mediaType],
          ]),
          search: '',
          body: {
            query: text.query,
            variables: params.variables,
            ...(params.operationName !== undefined ? { operationName: params.operationName } : {}),
          },
        },
        context: async () => context,
      });
      return { kind: 'apollo', response };
    };
  },
});
