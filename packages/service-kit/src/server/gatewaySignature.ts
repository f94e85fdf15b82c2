import type { Request, RequestHandler } from 'express';
import { IdentityError, verifySignedRequest } from '../auth/identity';
import type { Logger } from '../logging/logger';
import type { NonceStore } from '../state/nonceStore';
import { errorBody } from './graphqlHttp';
import { REQUEST_ID_HEADER } from './requestId';

/** The raw body bytes, kept by the JSON parser so the signature can be checked over them. */
export interface RawBodyRequest extends Request {
  rawBody?: Buffer;
}

/** `express.json({ verify })` hook that keeps the raw body for signature checks. */
export const keepRawBody = (req: RawBodyRequest, _res: unknown, buffer: Buffer): void => {
  req.rawBody = buffer;
};

export interface SignatureCheck {
  secret: Buffer;
  /** This service's name: what a signature must be for. */
  audience: string;
  maxAgeMs: number;
  /** Where used nonces are remembered (shared through Redis when several instances run). */
  nonces: NonceStore;
}

/**
 * Admits only requests the gateway (or a peer subgraph) signed for this
 * service, for this method, path, query and body, recently, and once: a
 * captured request replayed within its window, re-sent with another method or
 * query string, or sent to another service, is refused like an unsigned one,
 * with 401 UNAUTHENTICATED, and never reaches a resolver. The signed request
 * id becomes this request's id.
 */
export function requireGatewaySignature(check: SignatureCheck, log: Logger): RequestHandler {
  return async (req: RawBodyRequest, res, next) => {
    const refuse = (reason: string) => {
      log.warn(
        {
          reason,
          method: req.method,
          path: req.path,
          ip: req.ip,
          requestId: res.locals.requestId,
          traceId: res.locals.traceId,
        },
        'refused a request without a valid gateway signature',
      );
      res
        .status(401)
        .json(
          errorBody(
            'UNAUTHENTICATED',
            'This service only answers requests signed by the gateway.',
            {},
            res.locals.requestId,
            res.locals.traceId,
          ),
        );
    };
    try {
      // What arrived, not what a later handler will read: the method, the path and query as sent, the body bytes.
      const received = { method: req.method, target: req.originalUrl, body: req.rawBody ?? Buffer.alloc(0) };
      const signed = await verifySignedRequest(req.headers, received, check.secret, check);
      // The request id header is the signed one or absent: a forwarder cannot relabel a request in the logs.
      const idHeader = req.headers[REQUEST_ID_HEADER];
      if (idHeader !== undefined && idHeader !== signed.requestId)
        return refuse('request id not covered by the signature');
      if (!(await check.nonces.claim(signed.nonce, signed.validUntil))) return refuse('replayed signature');
      if (signed.requestId !== null) {
        res.locals.requestId = signed.requestId;
        res.setHeader(REQUEST_ID_HEADER, signed.requestId);
      }
      // Whatever x-request-id reached this service is the gateway's; the client's own id travels signed.
      res.locals.clientRequestId = signed.clientRequestId ?? undefined;
      if (signed.deadline !== null && signed.deadline <= Date.now()) {
        // The gateway has already answered without us: do no work for nobody.
        res
          .status(504)
          .json(
            errorBody(
              'DEADLINE_EXCEEDED',
              'The caller’s deadline had passed when the request arrived.',
              {},
              res.locals.requestId,
              res.locals.traceId,
            ),
          );
        return;
      }
      res.locals.caller = signed.caller;
      res.locals.deadline = signed.deadline;
      res.locals.idempotencyKey = signed.idempotencyKey;
      next();
    } catch (error) {
      if (error instanceof IdentityError) return refuse(error.message);
      log.warn(
        { err: error, path: req.path, requestId: res.locals.requestId, traceId: res.locals.traceId },
        'cannot check a signature right now',
      );
      res
        .status(503)
        .json(
          errorBody(
            'UNAVAILABLE',
            'Cannot check the request’s signature right now; retry later.',
            {},
            res.locals.requestId,
            res.locals.traceId,
          ),
        );
    }
  };
}
