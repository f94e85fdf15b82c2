import { graphError } from '@car-check/service-kit';

/** The largest PostgreSQL bigint: no sequence is larger. */
const MAX_SEQUENCE = 9223372036854775807n;
/** Longer than any cursor this codec writes: refused before decoding. */
const MAX_STREAM_CURSOR_LENGTH = 200;

/**
 * A subscription event's cursor: base64url of `<subgraph>:<sequence>`, the event's
 * position in the subgraph's outbox (its total commit order). Opaque to clients and
 * to the gateway; the subgraph name keeps one subgraph's cursor from being taken
 * for a position in another's.
 */
export function encodeStreamCursor(subgraph: string, sequence: bigint): string {
  return Buffer.from(`${subgraph}:${sequence.toString()}`, 'utf8').toString('base64url');
}

/**
 * The sequence a cursor of this subgraph names. Anything else (not base64url, another
 * subgraph's, not a positive sequence) is INVALID_ARGUMENT: whether the position is still
 * retained is the replay's question (OUT_OF_RANGE).
 */
export function decodeStreamCursor(subgraph: string, cursor: string): bigint {
  const invalid = () =>
    graphError('INVALID_ARGUMENT', 'The cursor is not one this subscription gave out.', { field: 'after' });
  if (cursor.length === 0 || cursor.length > MAX_STREAM_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw invalid();
  }
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const prefix = `${subgraph}:`;
  const digits = text.startsWith(prefix) ? text.slice(prefix.length) : '';
  if (!/^[1-9]\d{0,18}$/.test(digits)) throw invalid();
  const sequence = BigInt(digits);
  if (sequence > MAX_SEQUENCE) throw invalid();
  return sequence;
}
