import { DeferredAnswer } from '../../defer/deferredAnswer';
import { deferredOperation } from '../../defer/deferredDocument';
import { notAcceptable } from '../readRequest';
import { defineStage, need } from '../stage';

/**
 * A query with @defer, from a client that accepts its multipart answer
 * (`multipart/mixed;deferSpec=20220824`), leaves the request path here: after
 * it has been admitted, authenticated, resolved (trusted documents), measured
 * (its deferred fields count like the others) and validated, and given its
 * deadline and consistency token; before inflight sharing (a streamed answer
 * is never shared). Its answer is its parts (defer/deferredAnswer.ts).
 * Every other request goes on, a query with @defer included when its client
 * accepts only one JSON answer: Apollo Gateway plans @defer inline and
 * answers it whole, as before.
 */
export const defer = defineStage({
  name: 'defer',
  env: {},
  configure: () => ({}),
  create:
    (_config, { deferred: execution, served, log, metrics }) =>
    async (request, next) => {
      const operation = need(request.operation, 'operation');
      const params = need(request.params, 'GraphQL request');
      const deferred =
        request.acceptsDeferredParts && operation.operation === 'query'
          ? deferredOperation(need(request.document, 'document'), params.operationName, params.variables)
          : null;
      if (!deferred) {
        // Accepts only deferred parts, and this answer has none.
        if (request.mediaType === undefined) throw notAcceptable();
        return next();
      }
      const stream = new DeferredAnswer(
        {
          deferred,
          operationName: params.operationName,
          variables: params.variables,
          method: params.method,
          context: need(request.context, 'context'),
          started: request.started,
        },
        { ...execution, served, log, metrics },
      ).start();
      return { kind: 'deferred', stream };
    },
});
