import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

// Printable ASCII only and bounded, so a client cannot inject log lines or bloat them.
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** The caller's request id when it is well-formed, otherwise a fresh one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && VALID_REQUEST_ID.test(value) ? value : randomUUID();
}
