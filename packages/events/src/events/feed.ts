import type { Express, Request, Response } from 'express';
import { type Logger, type SignatureCheck, requireGatewaySignature, errorBody } from '@car-check/service-kit';
import { eventsOfSubgraph } from './catalog';
import { toCloudEvent, type AuditEventRecord, type CloudEvent } from './cloudEvent';
import { onOutboxWritten } from './outboxSignal';
import type { EventSigner } from './signature';

export const EVENTS_PATH = '/events';
export const EVENT_PAGE_DEFAULT = 100;
export const EVENT_PAGE_MAX = 1000;
/** The longest a read may ask the feed to hold an empty answer (`wait`, in milliseconds). */
export const FEED_WAIT_MAX_MS = 30_000;
/**
 * How often a held read looks again for rows this process was not told of: those written by
 * another instance on the same PostgreSQL database, or a script. This process's own commits wake
 * it at once (outboxSignal.ts). The subscriptions' outbox tailer looks as often.
 */
export const FEED_RECHECK_MS = 1_000;
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
  /** Hears of this process's commits of event rows (default: outboxSignal.ts's). */
  wake?: (listener: () => void) => () => void;
  /** How often a held read looks again for rows written elsewhere (default FEED_RECHECK_MS). */
  recheckMs?: number;
}

/** A mounted feed. */
export interface EventFeed {
  /** Answers every held read at once with what there is, and holds none from now on: the first step of a shutdown. */
  close(): void;
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

/** `wait`: how long an empty answer may be held, 0 (the default) to FEED_WAIT_MAX_MS. */
function parseWait(value: unknown): Parsed<number> {
  if (value === undefined) return { ok: true, value: 0 };
  const wait = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(wait >= 0 && wait <= FEED_WAIT_MAX_MS)) {
    return {
      ok: false,
      message: `\`wait\` must be a whole number of milliseconds from 0 (the default) to ${FEED_WAIT_MAX_MS}.`,
    };
  }
  return { ok: true, value: wait };
}

/**
 * Reads a page, and while it is empty holds the answer for up to `waitMs`: reading again as soon
 * as this process commits an event row (`wake`), every `recheckMs` for rows written elsewhere, and
 * once more at the end. Ends early, with what there is, when the reader hangs up or the feed closes.
 */
async function readOrWait(
  read: () => Promise<EventPage>,
  waitMs: number,
  options: { wake: (listener: () => void) => () => void; recheckMs: number; held: Set<() => void>; res: Response },
): Promise<EventPage> {
  const deadline = Date.now() + waitMs;
  let written = false;
  let ended = false;
  let poke: (() => void) | undefined;
  const onWritten = () => {
    written = true;
    poke?.();
  };
  const end = () => {
    ended = true;
    poke?.();
  };
  // Listening before the first read: a commit between the read and the wait is not missed.
  const unsubscribe = options.wake(onWritten);
  options.held.add(end);
  options.res.once('close', end);
  try {
    for (;;) {
      written = false;
      const page = await read();
      const left = deadline - Date.now();
      if (page.events.length > 0 || left <= 0 || ended) return page;
      if (written) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, options.recheckMs));
        poke = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      poke = undefined;
    }
  } finally {
    unsubscribe();
    options.held.delete(end);
    options.res.off('close', end);
  }
}

/**
 * `GET /events?after=<sequence|latest>&limit=<n>&wait=<ms>`: the subgraph's domain events as
 * CloudEvents, for services only. A request must be signed for this subgraph
 * (like every call the gateway or a peer makes; an unsigned, forged, stale or
 * replayed one is 401 UNAUTHENTICATED), over an empty body. Bad `after`,
 * `limit` or `wait` is 400 INVALID_ARGUMENT. Answers `{ events, next }`; poll
 * again with `after=next`. With `wait`, an answer with no events is held until
 * one is committed or `wait` ms have passed (a long poll): a reader that keeps
 * one such read open learns of each event as it commits, at the cost of one
 * held request, not of polls. Delivery is at least once (a reader that loses
 * its cursor reads events again: deduplicate on `id`), in sequence order,
 * which is commit order (see {@link readEventPage}). Each event is signed as
 * it is served, with the subgraph's current key (see signature.ts).
 */
export function mountEventFeed(app: Express, options: EventFeedOptions): EventFeed {
  const held = new Set<() => void>();
  let closed = false;
  const waiting = {
    wake: options.wake ?? onOutboxWritten,
    recheckMs: options.recheckMs ?? FEED_RECHECK_MS,
    held,
  };
  app.get(EVENTS_PATH, requireGatewaySignature(options.signatures, options.log), async (req: Request, res) => {
    const refuse = (field: string, message: string) => {
      res.status(400).json(errorBody('INVALID_ARGUMENT', message, { field }, res.locals.requestId, res.locals.traceId));
    };
    const after = parseAfter(req.query.after);
    if (!after.ok) return refuse('after', after.message);
    const limit = parseLimit(req.query.limit);
    if (!limit.ok) return refuse('limit', limit.message);
    const wait = parseWait(req.query.wait);
    if (!wait.ok) return refuse('wait', wait.message);
    try {
      const pageAfter = (position: bigint) => {
        const read = () => readEventPage(options.db, options.subgraph, position, limit.value);
        return wait.value > 0 && !closed ? readOrWait(read, wait.value, { ...waiting, res }) : read();
      };
      const page =
        after.value === 'latest'
          ? { events: [], next: await latestSequence(options.db) }
          : await pageAfter(after.value);
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
  return {
    close() {
      closed = true;
      for (const end of [...held]) end();
    },
  };
}
