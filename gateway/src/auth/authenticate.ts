import type { RequestHandler } from 'express';
import { ANONYMOUS, IDENTITY_HEADERS } from '../../../common/auth/identity';
import type { Logger } from '../../../common/logging/logger';
import { errorBody } from '../../../common/server/graphqlHttp';
import { TokenRejected, TokenStatusUnavailable, type TokenVerifier } from './tokenVerifier';

/**
 * Establishes who the caller is, before any GraphQL work: no Authorization
 * header means anonymous; a Bearer token must verify, or the request is
 * refused with 401 UNAUTHENTICATED and no subgraph is called. Identity headers
 * sent by the client are dropped: only the gateway's signed ones count.
 */
export function authenticate(verifier: TokenVerifier, log: Logger): RequestHandler {
  return async (req, res, next) => {
    for (const header of IDENTITY_HEADERS) delete req.headers[header];
    const clientIp = req.socket.remoteAddress ?? null;
    const authorization = req.headers.authorization;
    if (!authorization) {
      res.locals.caller = { ...ANONYMOUS, clientIp };
      return next();
    }
    const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(authorization.trim());
    try {
      if (!match) throw new TokenRejected('not a Bearer token');
      res.locals.caller = await verifier.verify(match[1]!, clientIp);
      next();
    } catch (error) {
      if (error instanceof TokenStatusUnavailable) {
        log.warn({ reason: error.message }, 'cannot check a token right now');
        res.status(503).json(errorBody('UNAVAILABLE', 'Cannot verify credentials right now; retry later.', {}, res.locals.requestId));
        return;
      }
      if (!(error instanceof TokenRejected)) return next(error);
      log.info({ reason: error.message }, 'refused a bearer token');
      res
        .status(401)
        .set('www-authenticate', 'Bearer error="invalid_token"')
        .json(errorBody('UNAUTHENTICATED', 'The access token is invalid, expired or revoked.', {}, res.locals.requestId));
    }
  };
}
