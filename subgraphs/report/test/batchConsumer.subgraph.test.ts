import {
  type BatchHandler,
  type CloudEvent,
  type ConsumerSql,
  type ConsumerTransaction,
  FeedConsumer,
  feedUrlOf,
  formatSequence,
  replayFeed,
} from '@car-check/events';
import { createLogger } from '@car-check/service-kit';
import { consumerTransaction, ownerFeedSource } from '@car-check/subgraph-kit';
import { BACKENDS } from '@car-check/test-support/config';
import { FakePeer } from '@car-check/test-support/fakePeer';
import { TEST_SIGNING_SECRET } from '@car-check/test-support/secrets';
import { waitFor } from '@car-check/test-support/waitFor';
import { applyReportEvent, applyReportEvents } from '../src/readModel/store';
import { fleetHistory, startReportUnderTest, type ReportUnderTest } from './reportHarness';

/** What the transactions of a consumer under test did, as far as they committed. */
interface Recorded {
  /** Committed transactions that applied events: the events' ids, and how many cursor saves each made. */
  batches: { ids: string[]; cursorSaves: number }[];
  /** Every event id applied in a committed transaction, in order (a double application shows twice). */
  committed: string[];
}

const MAX_ATTEMPTS = 3;
const PAGE_SIZE = 10;
const CAUGHT_UP_MS = 60_000;

/**
 * The shared feed consumer in batch mode, on the report's database and handlers, reading a feed
 * of its own (not the report's consumers'): each test names its own consumer, so its cursor and
 * dead letters are its own.
 */
describe.each(BACKENDS)('the feed consumer in batch mode (%s)', (backend) => {
  let service: ReportUnderTest;
  let peer: FakePeer;
  let peerUrl: string;
  const running: FeedConsumer<ConsumerSql>[] = [];
  let seed = 100;

  beforeAll(async () => {
    service = await startReportUnderTest(backend);
    peer = new FakePeer('car');
    peerUrl = await peer.start();
  }, 120_000);
  afterAll(async () => {
    await peer?.stop();
    await service?.stop();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
  });

  /** `count` new car events, published in the feed after those already there (sequences go on). */
  function publishCars(count: number): CloudEvent[] {
    const offset = peer.events.length;
    const events = fleetHistory(seed++, { cars: count, steps: 0 })
      .events.filter((event) => event.source === '/subgraphs/car')
      .slice(0, count)
      .map((event, index) => ({ ...event, sequence: formatSequence(offset + index + 1) }));
    peer.events.push(...events);
    return events;
  }

  /** A transaction that records what the work applied and the cursor saves it made, once committed. */
  function recording(): { transaction: ConsumerTransaction<ConsumerSql>; batch: BatchHandler<ConsumerSql> } & {
    recorded: Recorded;
  } {
    const recorded: Recorded = { batches: [], committed: [] };
    const inFlight = new WeakMap<ConsumerSql, { ids: string[]; cursorSaves: number }>();
    const open = consumerTransaction(service.prisma);
    const transaction: ConsumerTransaction<ConsumerSql> = async (work, options) => {
      const state = { ids: [] as string[], cursorSaves: 0 };
      const result = await open((tx) => {
        const wrapped: ConsumerSql = {
          $queryRaw: (query, ...values) => tx.$queryRaw(query, ...values),
          $executeRaw: (query, ...values) => {
            if (query.join('?').includes('INSERT INTO event_cursor')) state.cursorSaves += 1;
            return tx.$executeRaw(query, ...values);
          },
        };
        inFlight.set(wrapped, state);
        return work(wrapped);
      }, options);
      if (state.ids.length > 0) {
        recorded.batches.push(state);
        recorded.committed.push(...state.ids);
      }
      return result;
    };
    const batch: BatchHandler<ConsumerSql> = async (tx, events) => {
      // Slow enough that two instances' transactions overlap.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await applyReportEvents(tx, events);
      inFlight.get(tx)!.ids.push(...events.map((event) => event.id));
    };
    return { transaction, batch, recorded };
  }

  function startConsumer(
    name: string,
    transaction: ConsumerTransaction<ConsumerSql>,
    batch: BatchHandler<ConsumerSql>,
    apply = (tx: ConsumerSql, event: CloudEvent) => batch(tx, [event]),
  ): FeedConsumer<ConsumerSql> {
    const consumer = new FeedConsumer<ConsumerSql>({
      ...ownerFeedSource('car', { config: service.subgraph.config, signingSecret: TEST_SIGNING_SECRET }),
      feedUrl: () => feedUrlOf(peerUrl),
      name,
      db: service.prisma,
      transaction,
      apply,
      applyBatch: batch,
      log: createLogger({ service: 'test', level: 'silent', pretty: false }),
      settings: { pollMs: 20, maxBackoffMs: 200, maxAttempts: MAX_ATTEMPTS, pageSize: PAGE_SIZE },
    });
    running.push(consumer);
    consumer.start();
    return consumer;
  }

  const cursorOf = async (name: string): Promise<bigint> =>
    (await service.prisma.eventCursor.findUnique({ where: { consumer: name } }))?.position ?? 0n;

  const waitCursor = (name: string, events: readonly CloudEvent[]) =>
    waitFor(
      async () => (await cursorOf(name)) >= BigInt(events.at(-1)!.sequence),
      CAUGHT_UP_MS,
      `${name}'s cursor to reach ${events.at(-1)!.sequence}`,
    );

  const storedIds = async (events: readonly CloudEvent[]): Promise<string[]> =>
    (
      await service.prisma.reportEvent.findMany({
        where: { owner: 'car', eventId: { in: events.map((event) => event.id) } },
        select: { eventId: true },
      })
    )
      .map((row) => row.eventId)
      .sort();

  it('applies a page in one transaction with one cursor save', async () => {
    const events = publishCars(PAGE_SIZE);
    // The consumer starts after the page's events: they are all in its first page.
    const from = BigInt(events[0]!.sequence) - 1n;
    await service.prisma.eventCursor.create({ data: { consumer: 'batch-page', position: from } });
    const { transaction, batch, recorded } = recording();
    const consumer = startConsumer('batch-page', transaction, batch);
    await waitCursor('batch-page', events);

    expect(recorded.batches).toEqual([{ ids: events.map((event) => event.id), cursorSaves: 1 }]);
    expect(await storedIds(events)).toEqual(events.map((event) => event.id).sort());
    expect(consumer.status()).toMatchObject({
      position: BigInt(events.at(-1)!.sequence).toString(),
      lastAppliedEventTime: events.at(-1)!.time,
    });
  }, 90_000);

  it('skips the events at or below its saved cursor', async () => {
    const events = publishCars(PAGE_SIZE);
    const saved = BigInt(events[4]!.sequence);
    await service.prisma.eventCursor.create({ data: { consumer: 'batch-skip', position: saved } });
    const { transaction, batch, recorded } = recording();
    startConsumer('batch-skip', transaction, batch);
    await waitCursor('batch-skip', events);

    // Events of earlier tests are below the cursor too: none of them is applied.
    expect(recorded.committed).toEqual(events.slice(5).map((event) => event.id));
    expect(recorded.batches.every((each) => each.cursorSaves === 1)).toBe(true);
  }, 90_000);

  it('applies the rest of a page holding an event it refuses, and retries then dead-letters that one', async () => {
    const events = publishCars(PAGE_SIZE);
    const bad = events[4]!;
    bad.data = { ...bad.data, changes: [{ field: 'brand', from: null, to: 42 }] };
    await service.prisma.eventCursor.create({
      data: { consumer: 'batch-bad', position: BigInt(events[0]!.sequence) - 1n },
    });
    const { transaction, batch, recorded } = recording();
    startConsumer('batch-bad', transaction, batch);
    await waitCursor('batch-bad', events);

    const good = events.filter((event) => event !== bad).map((event) => event.id);
    expect([...recorded.committed].sort()).toEqual([...good].sort());
    expect(await storedIds(events)).toEqual([...good].sort());
    const letters = await service.prisma.eventDeadLetter.findMany({ where: { consumer: 'batch-bad' } });
    expect(letters).toEqual([
      expect.objectContaining({ eventId: bad.id, sequence: BigInt(bad.sequence), attempts: MAX_ATTEMPTS }),
    ]);
    expect(letters[0]!.error).toMatch(/brand/);
  }, 90_000);

  it('never applies an event twice with two instances of the same consumer', async () => {
    const events = publishCars(6 * PAGE_SIZE);
    await service.prisma.eventCursor.create({
      data: { consumer: 'batch-twice', position: BigInt(events[0]!.sequence) - 1n },
    });
    const { transaction, batch, recorded } = recording();
    startConsumer('batch-twice', transaction, batch);
    startConsumer('batch-twice', transaction, batch);
    await waitCursor('batch-twice', events);

    expect([...recorded.committed].sort()).toEqual(events.map((event) => event.id).sort());
    expect(new Set(recorded.committed).size).toBe(recorded.committed.length);
    expect(recorded.batches.every((each) => each.cursorSaves === 1)).toBe(true);
  }, 90_000);

  it('rebuilds a page at a time, and event by event a page the batch refuses', async () => {
    const feed = new FakePeer('car');
    const url = await feed.start();
    try {
      const events = fleetHistory(seed++, { cars: 25, steps: 0 }).events.filter(
        (event) => event.source === '/subgraphs/car',
      );
      const bad = events[12]!;
      bad.data = { ...bad.data, changes: [{ field: 'model', from: null, to: false }] };
      feed.events.push(...events);
      let batches = 0;
      const report = await replayFeed<ConsumerSql>({
        ...ownerFeedSource('car', { config: service.subgraph.config, signingSecret: TEST_SIGNING_SECRET }),
        feedUrl: () => feedUrlOf(url),
        name: 'batch-rebuild',
        transaction: consumerTransaction(service.prisma),
        apply: applyReportEvent,
        applyBatch: (tx, page) => {
          batches += 1;
          return applyReportEvents(tx, page);
        },
        reset: () => Promise.resolve(),
        pageSize: PAGE_SIZE,
      });
      expect(report).toEqual({
        applied: events.length - 1,
        deadLetters: 1,
        position: BigInt(events.at(-1)!.sequence).toString(),
      });
      expect(batches).toBe(Math.ceil(events.length / PAGE_SIZE));
      expect(await storedIds(events)).toEqual(
        events
          .filter((event) => event !== bad)
          .map((event) => event.id)
          .sort(),
      );
      expect(
        await service.prisma.eventDeadLetter.count({ where: { consumer: 'batch-rebuild', eventId: bad.id } }),
      ).toBe(1);
    } finally {
      await feed.stop();
    }
  }, 90_000);
});
