import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

export const REQUEST_ID_HEADER = 'x-request-id';

// Printable ASCII only and bounded, so a client cannot inject log lines or bloat them.
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Gives every request its id before anything can refuse it, so even a 401 or
 * 429 carries one: kept in `res.locals.requestId` and the response header.
 * The id is always the server's own, unique: a client's `x-request-id` is
 * whatever the client chose (two clients, or two writes, may send the same),
 * so it is kept apart, as `res.locals.clientRequestId`, for logs and audit
 * records to find the client's requests by.
 */
export const assignRequestId: RequestHandler = (req, res, next) => {
  const requestId = randomUUID();
  res.locals.requestId = requestId;
  res.locals.clientRequestId = clientRequestIdFrom(req.headers[REQUEST_ID_HEADER]);
  res.setHeader(REQUEST_ID_HEADER, requestId);
  next();
};

/** The caller's request id when it is well-formed (printable, bounded), otherwise undefined. */
export function clientRequestIdFrom(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value && VALID_REQUEST_ID.test(value) ? value : undefined;
}
