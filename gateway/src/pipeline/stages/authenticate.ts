import type { Context } from '@opentelemetry/api';
import { ANONYMOUS, type CallerIdentity, type Logger } from '@car-check/service-kit';
import { TokenRejected, TokenStatusUnavailable, type TokenVerifier } from '../../auth/tokenVerifier';
import { Refusal } from '../refusal';
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

// The scheme is case-insensitive (RFC 9110); the token is a JWT.
const BEARER = /^Bearer +([A-Za-z0-9_\-.]{1,4096})$/i;

/** The bearer token of an `Authorization` header: undefined when there is none, null when it is not a bearer token. */
export function bearerToken(header: string | undefined): string | null | undefined {
  if (header === undefined) return undefined;
  return BEARER.exec(header.trim())?.[1] ?? null;
}

/**
 * Who the caller is: anonymous without a token; otherwise the token must
 * verify, or the request is refused with 401 UNAUTHENTICATED (503 UNAVAILABLE
 * when the user service cannot be asked) and nothing else runs.
 */
async function verifyCaller(
  token: string | null | undefined,
  clientIp: string | null,
  verifier: TokenVerifier,
  log: Logger,
  request: { requestId?: string; traceId?: string; traceContext?: Context } = {},
): Promise<CallerIdentity> {
  if (token === undefined) return { ...ANONYMOUS, clientIp };
  const { requestId, traceId } = request;
  try {
    if (token === null) throw new TokenRejected('not a Bearer token');
    return await verifier.verify(token, clientIp, request.traceContext);
  } catch (error) {
    if (error instanceof TokenStatusUnavailable) {
      log.warn({ reason: error.message, requestId, traceId }, 'cannot check a token right now');
      throw new Refusal(
        503,
        'UNAVAILABLE',
        'Cannot verify credentials right now; retry later.',
        {},
        { headers: { 'retry-after': '1' } },
      );
    }
    if (!(error instanceof TokenRejected)) throw error;
    log.info({ reason: error.message, requestId, traceId }, 'refused a bearer token');
    throw new Refusal(
      401,
      'UNAUTHENTICATED',
      'The access token is invalid, expired or revoked.',
      {},
      {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      },
    );
  }
}
