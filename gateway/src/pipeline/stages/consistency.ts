import {
  CONSISTENCY_TOKEN_HEADER,
  decodeConsistencyToken,
  encodeConsistencyToken,
  laterPositions,
} from '../../entityCache/consistencyToken';
import { invalidRequest } from '../refusal';
import { defineStage, need } from '../stage';

/**
 * Read-your-writes through the entity cache (docs/entity-cache.md): the client's
 * Consistency-Token goes into the request's context, and every answer carries the token
 * that covers the client's writes so far (its own, and this request's), in the
 * `Consistency-Token` header and `extensions.consistencyToken`. Answers with entities from
 * the cache say how old the oldest is (`Age`).
 */
export const consistency = defineStage({
  name: 'consistency',
  env: {},
  configure: () => ({}),
  create: () => ({
    handle: async (request, next) => {
      const header = request.http.req.headers[CONSISTENCY_TOKEN_HEADER];
      if (header !== undefined) {
        const positions = typeof header === 'string' ? decodeConsistencyToken(header) : null;
        if (!positions)
          throw invalidRequest('`Consistency-Token` must be a token this graph returned; send the latest one you got.');
        need(request.context, 'context').readAfter = positions;
      }
      return next();
    },
    apollo: {
      plugins: [
        {
          async requestDidStart() {
            return {
              async willSendResponse({ contextValue, response }) {
                const positions = laterPositions(contextValue.readAfter, contextValue.written);
                if (positions.size > 0) {
                  const token = encodeConsistencyToken(positions);
                  response.http.headers.set(CONSISTENCY_TOKEN_HEADER, token);
                  if (response.body.kind === 'single')
                    response.body.singleResult.extensions = {
                      ...response.body.singleResult.extensions,
                      consistencyToken: token,
                    };
                }
                if (contextValue.cacheAge !== undefined)
                  response.http.headers.set('age', String(Math.floor(contextValue.cacheAge / 1000)));
              },
            };
          },
        },
      ],
    },
  }),
});
