/**
 * Rebuilding a read model from its owner's whole feed, and applying dead letters again: the
 * read-model commands (`npm run events:rebuild`, `events:redrive`) and a subgraph's own.
 */
import type { CloudEvent } from './cloudEvent';
import {
  lock,
  saveCursor,
  sequenceOf,
  writeDeadLetter,
  type BatchHandler,
  type ConsumerSql,
  type ConsumerTransaction,
  type EventHandler,
} from './consumerStore';
import { EVENT_PAGE_MAX } from './feed';
import { fetchFeedPage, FeedUnavailable, type FeedSource } from './feedClient';
import type { EventVerifier } from './signature';
export interface ReplayOptions<TX extends ConsumerSql> extends FeedSource {
  name: string;
  transaction: ConsumerTransaction<TX>;
  apply: EventHandler<TX>;
  /** Applies a page's events at once (see FeedConsumerOptions.applyBatch); `apply` takes over a page it refuses. */
  applyBatch?: BatchHandler<TX>;
  /** Empties the read model (inside the replay's transaction). */
  reset: (tx: TX) => Promise<void>;
  pageSize?: number;
  /** How long the one transaction may take (default 10 minutes). */
  timeoutMs?: number;
}

export interface ReplayReport {
  applied: number;
  deadLetters: number;
  position: string;
}

/**
 * Rebuilds a read model from the owner's full feed: empties it and its cursor
 * and applies every event from the start, in ONE transaction holding the
 * consumer's advisory lock. Readers see the old read model until the new one
 * is committed whole, and a consumer running meanwhile (another process, on
 * PostgreSQL) waits (its events are skipped while the lock is held) and then
 * resumes from the rebuilt cursor. An event the handler refuses is
 * dead-lettered at once (a replay is deterministic: retrying would refuse it
 * again); it is rolled back to a savepoint, so the rest still applies. An
 * event its owner did not sign is dead-lettered with its reason and moves
 * nothing. Given `applyBatch`, each page's events go through it at once (under
 * a savepoint); a page it refuses is rolled back to that savepoint and applied
 * event by event as above.
 */
export async function replayFeed<TX extends ConsumerSql>(options: ReplayOptions<TX>): Promise<ReplayReport> {
  const pageSize = options.pageSize ?? EVENT_PAGE_MAX;
  return options.transaction(
    async (tx) => {
      await lock(tx, options.name);
      await options.reset(tx);
      await tx.$executeRaw`DELETE FROM event_cursor WHERE consumer = ${options.name}`;
      // `after` pages through the feed; `position` (the cursor saved) comes from verified events only.
      let after = 0n;
      let position = 0n;
      let applied = 0;
      let deadLetters = 0;
      for (;;) {
        const page = await fetchFeedPage(options, after, pageSize);
        if (page.events.length === 0) break;
        const before = after;
        // The page's verified events above the cursor, in order; what its owner did not sign is dead-lettered.
        const due: { event: CloudEvent; sequence: bigint }[] = [];
        let highest = position;
        for (const event of page.events) {
          const claimed = sequenceOf(event);
          if (claimed !== null && claimed > after) after = claimed;
          const rejection = options.verifier.check(event);
          if (rejection) {
            await writeDeadLetter(tx, options.name, event, 0n, `${rejection.reason}: ${rejection.detail}`, 1);
            deadLetters += 1;
            continue;
          }
          const sequence = claimed;
          if (sequence === null)
            throw new FeedUnavailable(`the ${options.owner} feed sent an event without a sequence`);
          if (sequence <= highest) continue;
          due.push({ event, sequence });
          highest = sequence;
        }
        const atOnce = due.length > 0 && options.applyBatch && (await applyPageAtOnce(tx, options.applyBatch, due));
        if (atOnce) {
          applied += due.length;
          position = highest;
        }
        for (const { event, sequence } of atOnce ? [] : due) {
          await tx.$executeRaw`SAVEPOINT replay_event`;
          try {
            await options.apply(tx, event);
            await tx.$executeRaw`RELEASE SAVEPOINT replay_event`;
            applied += 1;
          } catch (error) {
            await tx.$executeRaw`ROLLBACK TO SAVEPOINT replay_event`;
            await writeDeadLetter(
              tx,
              options.name,
              event,
              sequence,
              error instanceof Error ? error.message : String(error),
              1,
            );
            deadLetters += 1;
          }
          position = sequence;
        }
        if (after === before) break;
      }
      await saveCursor(tx, options.name, position);
      return { applied, deadLetters, position: position.toString() };
    },
    { timeoutMs: options.timeoutMs ?? 600_000 },
  );
}

/** Applies a page with the batch handler under a savepoint; false (rolled back to it) when the handler refuses it. */
async function applyPageAtOnce<TX extends ConsumerSql>(
  tx: TX,
  applyBatch: BatchHandler<TX>,
  due: readonly { event: CloudEvent }[],
): Promise<boolean> {
  await tx.$executeRaw`SAVEPOINT replay_page`;
  try {
    await applyBatch(
      tx,
      due.map(({ event }) => event),
    );
  } catch {
    await tx.$executeRaw`ROLLBACK TO SAVEPOINT replay_page`;
    return false;
  }
  await tx.$executeRaw`RELEASE SAVEPOINT replay_page`;
  return true;
}

export interface RedriveOptions<TX extends ConsumerSql> {
  /** The consumer whose dead letters to apply again. */
  name: string;
  db: ConsumerSql;
  transaction: ConsumerTransaction<TX>;
  apply: EventHandler<TX>;
  /** A dead letter is applied only if its owner signed it (a refused forgery stays refused). */
  verifier: EventVerifier;
}

export interface RedriveReport {
  /** Dead letters applied now, and removed. */
  redriven: number;
  /** Dead letters the handler still refuses: kept, with the new error and one more attempt. */
  failing: number;
}

/**
 * Applies a consumer's dead letters again, oldest first, once their cause is fixed
 * (`npm run events:redrive`): each in its own transaction under the consumer's lock
 * (a running consumer's event in hand finishes first), removed when the handler takes
 * it, kept with its new error otherwise. Applying an old event late is safe because
 * handlers apply by revision: one a later event superseded changes nothing, and is
 * removed too. The cursor does not move: dead letters are behind it already.
 */
export async function redriveDeadLetters<TX extends ConsumerSql>(options: RedriveOptions<TX>): Promise<RedriveReport> {
  const letters = await options.db.$queryRaw<{ id: string; event: CloudEvent | string }[]>`
    SELECT id::text AS id, event FROM event_dead_letter WHERE consumer = ${options.name} ORDER BY sequence, failed_at, id`;
  const report: RedriveReport = { redriven: 0, failing: 0 };
  for (const letter of letters) {
    const event = (typeof letter.event === 'string' ? JSON.parse(letter.event) : letter.event) as CloudEvent;
    const rejection = options.verifier.check(event);
    const applied = await options.transaction(async (tx) => {
      await lock(tx, options.name);
      await tx.$executeRaw`SAVEPOINT redrive_event`;
      try {
        if (rejection) throw new Error(`${rejection.reason}: ${rejection.detail}`);
        await options.apply(tx, event);
      } catch (error) {
        await tx.$executeRaw`ROLLBACK TO SAVEPOINT redrive_event`;
        const message = (error instanceof Error ? error.message : String(error)).slice(0, 4000);
        await tx.$executeRaw`UPDATE event_dead_letter SET error = ${message}, attempts = attempts + 1, failed_at = now() WHERE id = ${letter.id}::uuid`;
        return false;
      }
      await tx.$executeRaw`DELETE FROM event_dead_letter WHERE id = ${letter.id}::uuid`;
      return true;
    });
    if (applied) report.redriven += 1;
    else report.failing += 1;
  }
  return report;
}
