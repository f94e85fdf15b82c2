import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { subscriptionOverPlainHttp } from './fields';

/**
 * A subscription POSTed as an ordinary request (`Accept: application/json`) is refused
 * before it runs, with a 422 INVALID_ARGUMENT (the status it got before the subgraphs had
 * subscriptions) that says how to ask for it: Apollo Server would otherwise execute it as
 * a query, with no event to answer.
 */
export function plainHttpSubscriptionPlugin<Ctx extends BaseContext>(): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          const error = subscriptionOverPlainHttp();
          // Apollo Server's own way to set a request error's status; the extension is not sent.
          Object.assign(error.extensions, { http: { status: 422 } });
          throw error;
        },
      };
    },
  };
}
