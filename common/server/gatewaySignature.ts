import type { Request, RequestHandler } from 'express';
import { IdentityError, verifySignedRequest } from '../auth/identity';
import type { Logger } from '../logging/logger';
import { errorBody } from './graphqlHttp';

/** The raw body bytes, kept by the JSON parser so the signature can be checked over them. */
export interface RawBodyRequest extends Request {
  rawBody?: Buffer;
}

/** `express.json({ verify })` hook that keeps the raw body for signature checks. */
export const keepRawBody = (req: RawBodyRequest, _res: unknown, buffer: Buffer): void => {
  req.rawBody = buffer;
};

/**
 * Admits only requests whose caller identity the gateway signed (for this
 * body, recently). Anything else, including a client calling the subgraph
 * directly, gets 401 UNAUTHENTICATED and never reaches a resolver.
 */
export function requireGatewaySignature(secret: Buffer, maxAgeMs: number, log: Logger): RequestHandler {
  return (req: RawBodyRequest, res, next) => {
    try {
      const signed = verifySignedRequest(req.headers, req.rawBody ?? Buffer.alloc(0), secret, maxAgeMs);
      if (signed.deadline !== null && signed.deadline <= Date.now()) {
        // The gateway has already answered without us: do no work for nobody.
        res.status(504).json(errorBody('DEADLINE_EXCEEDED', 'The caller’s deadline had passed when the request arrived.', {}, res.locals.requestId));
        return;
      }
      res.locals.caller = signed.caller;
      res.locals.deadline = signed.deadline;
      next();
    } catch (error) {
      if (!(error instanceof IdentityError)) return next(error);
      log.warn({ reason: error.message, path: req.path, ip: req.ip }, 'refused a request without a valid gateway signature');
      res.status(401).json(errorBody('UNAUTHENTICATED', 'This service only answers requests signed by the gateway.', {}, res.locals.requestId));
    }
  };
}
