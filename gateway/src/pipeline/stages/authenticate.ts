import { authenticate as verifyCaller } from '../authenticate';
import { defineStage } from '../stage';

/**
 * Who the caller is: anonymous without a token, else the token must verify
 * (401 UNAUTHENTICATED, or 503 UNAVAILABLE when the user service cannot be asked).
 * The verifier is the gateway's (JWKS_URL, TOKEN_STATUS_URL, ...): admission uses it too.
 */
export const authenticate = defineStage({
  name: 'authenticate',
  env: {},
  configure: () => ({}),
  create:
    (_config, { verifier, log }) =>
    async (request, next) => {
      const { requestId, traceId, traceContext } = request;
      request.caller = await verifyCaller(request.token, request.address, verifier, log, {
        requestId,
        traceId,
        traceContext,
      });
      return next();
    },
});
