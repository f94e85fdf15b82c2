import { invalidRequest } from '../refusal';
import { defineStage } from '../stage';

const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,255}$/;

/**
 * The client's Idempotency-Key (8 to 255 printable ASCII characters),
 * passed (signed) with each mutation to its subgraph.
 */
export const idempotencyKey = defineStage({
  name: 'idempotencyKey',
  env: {},
  configure: () => ({}),
  create: () => async (request, next) => {
    request.idempotencyKey = idempotencyKeyOf(request.http.req.headers[IDEMPOTENCY_KEY_HEADER]);
    return next();
  },
});

function idempotencyKeyOf(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
    throw invalidRequest('`Idempotency-Key` must be 8 to 255 printable ASCII characters, e.g. a UUID.');
  }
  return header;
}
