import type { Express, Request } from 'express';
import { type Logger, type SignatureCheck, requireGatewaySignature, errorBody } from '@car-check/service-kit';
import { eventsOfSubgraph } from './catalog';
import { toCloudEvent, type AuditEventRecord, type CloudEvent } from './cloudEvent';
import type { EventSigner } from './signature';

export const EVENTS_PATH = '/events';
export const EVENT_PAGE_DEFAULT = 100;
export const EVENT_PAGE_MAX = 1000;
const MAX_BIGINT = 9223372036854775807n;

/** Any Prisma client: every subgraph has the same `audit_event` table. */
export interface EventFeedReader {
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}

export interface EventPage {
  /** In sequence order. */
  events: CloudEvent[];
  /** The cursor to pass as `after` next time: the last event's sequence, or `after` when there was none. */
  next: number;
}

/**
 * One page of a subgraph's events: its CREATE, UPDATE and DELETE audit
 * records with a sequence above `after`, in sequence order.
 *
 * Why a plain `sequence > after` is enough: a sequence is drawn at insert,
 * not at commit, so in general a reader that has seen N could later miss a
 * row with a smaller number whose transaction committed after it read. A
 * visibility horizon (pg_current_snapshot()'s xmin) would not close that gap
 * for a sequence cursor: transaction ids are assigned in another order than
 * sequence values. Nor would a time-based safety window, for a transaction
 * slower than the window. Instead the writer makes sequence order commit
 * order: recordAudit (packages/events/src/audit/record.ts) inserts an event row under a
 * transaction-scoped advisory lock held until its transaction ends, so of two
 * event rows the one with the smaller sequence is always committed (and
 * visible to any later snapshot) before the other is even numbered. Whatever
 * one query sees is thus a prefix of the final order, and a cursor never
 * skips a row. Rolled-back writes leave gaps in the numbering that are never
 * filled: skip them. On PGlite (one connection) writes are serial anyway.
 */
export async function readEventPage(
  db: EventFeedReader,
  subgraph: string,
  after: bigint,
  limit: number,
): Promise<EventPage> {
  const definitions = eventsOfSubgraph(subgraph);
  const entities = [...new Set(definitions.map((event) => event.entity))];
  const actions = [...new Set(definitions.map((event) => event.action))];
  const rows =
    entities.length === 0
      ? []
      : await db.$queryRaw<AuditEventRecord[]>`
          SELECT id, entity, entity_id AS "entityId", action, actor_id AS "actorId", request_id AS "requestId",
                 trace_id AS "traceId", revision, at, sequence, changes
          FROM audit_event
          WHERE sequence > ${after.toString()}::bigint
            AND entity = ANY(${entities}::text[]) AND action = ANY(${actions}::text[])
          ORDER BY sequence
          LIMIT ${limit}`;
  const events = rows.map(toCloudEvent).filter((event): event is CloudEvent => event !== null);
  const last = rows.at(-1);
  return { events, next: Number(last ? BigInt(last.sequence) : after) };
}

/**
 * The newest sequence of the feed: a reader that needs no history (the gateway's entity cache,
 * which starts empty) starts there. Any row numbered at or below it has committed (see
 * {@link readEventPage}), so reading on from it misses nothing.
 */
async function latestSequence(db: EventFeedReader): Promise<number> {
  const [row] = await db.$queryRaw<{ latest: string | null }[]>`SELECT max(sequence)::text AS latest FROM audit_event`;
  return Number(row?.latest ?? 0);
}

export interface EventFeedOptions {
  /** This subgraph's name: whose events the feed serves. */
  subgraph: string;
  db: EventFeedReader;
  signatures: SignatureCheck;
  /** Signs each event as it is served (with this subgraph's key: see signature.ts). */
  signer: EventSigner;
  log: Logger;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** `after`: a sequence, 0 (the default) for the beginning, or `latest` for the end (no events). */
function parseAfter(value: unknown): Parsed<bigint | 'latest'> {
  if (value === undefined) return { ok: true, value: 0n };
  if (value === 'latest') return { ok: true, value: 'latest' };
  if (typeof value !== 'string' || !/^\d{1,19}$/.test(value) || BigInt(value) > MAX_BIGINT) {
    return {
      ok: false,
      message: '`after` must be a sequence (a whole number from 0, the default) or `latest`.',
    };
  }
  return { ok: true, value: BigInt(value) };
}

/** `limit`: how many events at most, 1 to EVENT_PAGE_MAX. */
function parseLimit(value: unknown): Parsed<number> {
  if (value === undefined) return { ok: true, value: EVENT_PAGE_DEFAULT };
  const limit = typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= EVENT_PAGE_MAX)) {
    return {
      ok: false,
      message: `\`limit\` must be a whole number from 1 to ${EVENT_PAGE_MAX} (default ${EVENT_PAGE_DEFAULT}).`,
    };
  }
  return { ok: true, value: limit };
}

/**
 * `GET /events?after=<sequence|latest>&limit=<n>`: the subgraph's domain events as
 * CloudEvents, for services only. A request must be signed for this subgraph
 * (like every call the gateway or a peer makes; an unsigned, forged, stale or
 * replayed one is 401 UNAUTHENTICATED), over an empty body. Bad `after` or
 * `limit` is 400 INVALID_ARGUMENT. Answers `{ events, next }`; poll again
 * with `after=next`. Delivery is at least once (a reader that loses its
 * cursor reads events again: deduplicate on `id`), in sequence order, which
 * is commit order (see {@link readEventPage}). Each event is signed as it is
 * served, with the subgraph's current key (see signature.ts).
 */
export function mountEventFeed(app: Express, options: EventFeedOptions): void {
  app.get(EVENTS_PATH, requireGatewaySignature(options.signatures, options.log), async (req: Request, res) => {
    const refuse = (field: string, message: string) => {
      res.status(400).json(errorBody('INVALID_ARGUMENT', message, { field }, res.locals.requestId, res.locals.traceId));
    };
    const after = parseAfter(req.query.after);
    if (!after.ok) return refuse('after', after.message);
    const limit = parseLimit(req.query.limit);
    if (!limit.ok) return refuse('limit', limit.message);
    try {
      const page =
        after.value === 'latest'
          ? { events: [], next: await latestSequence(options.db) }
          : await readEventPage(options.db, options.subgraph, after.value, limit.value);
      res
        .set('cache-control', 'no-store')
        .json({ ...page, events: page.events.map((event) => options.signer.sign(event)) });
    } catch (error) {
      options.log.error(
        { err: error, requestId: res.locals.requestId, traceId: res.locals.traceId },
        'cannot read the event feed',
      );
      res
        .status(503)
        .json(
          errorBody(
            'UNAVAILABLE',
            'Cannot read events right now; retry later.',
            {},
            res.locals.requestId,
            res.locals.traceId,
          ),
        );
    }
  });
}
