import { randomUUID } from 'node:crypto';
import express from 'express';
import {
  ANONYMOUS,
  createLogger,
  listen,
  MemoryNonceStore,
  type RunningServer,
  signRequest,
  type SignatureCheck,
} from '@car-check/service-kit';
import type { AuditEventRecord } from '../cloudEvent';
import { FeedConsumer } from '../consumer';
import { consumerSettingsFromEnv } from '../consumerSettings';
import type { ConsumerSql } from '../consumerStore';
import { type EventFeed, type EventFeedReader, mountEventFeed } from '../feed';
import { developmentEventKey, EventSigner, EventVerifier, publicKeyOf } from '../signature';
import { waitFor } from '@car-check/test-support/waitFor';

/**
 * The feed's long polls (`wait`), in process: an express app with the feed mounted over an
 * in-memory audit table, read over HTTP with signed requests as a consumer sends them.
 */
const secret = Buffer.from('a development signing secret of 32+ characters');
const signatures: SignatureCheck = { secret, audience: 'car', maxAgeMs: 60_000, nonces: new MemoryNonceStore() };

/** The audit table: rows the feed's query returns when their sequence is above the cursor. */
class AuditTable implements EventFeedReader {
  readonly rows: AuditEventRecord[] = [];
  reads = 0;

  $queryRaw<T>(_query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T> {
    this.reads += 1;
    const after = BigInt(values[0] as string);
    return Promise.resolve(this.rows.filter((row) => BigInt(row.sequence) > after) as T);
  }

  add(): AuditEventRecord {
    const row: AuditEventRecord = {
      id: randomUUID(),
      entity: 'Car',
      entityId: randomUUID(),
      action: 'CREATE',
      actorId: null,
      requestId: `req-${randomUUID()}`,
      traceId: null,
      revision: 1,
      at: new Date(),
      sequence: this.rows.length + 1,
      changes: [],
    };
    this.rows.push(row);
    return row;
  }
}

describe('the event feed holds a read that finds nothing (wait)', () => {
  const table = new AuditTable();
  /** This process's "an event row was committed" signal, as outboxSignal.ts gives it. */
  const listeners = new Set<() => void>();
  const committed = () => listeners.forEach((listener) => listener());
  const servers: RunningServer[] = [];

  /** A feed over the table; `recheckMs`: how often a held read looks again without a signal. */
  async function startFeed(recheckMs: number): Promise<{ url: string; feed: EventFeed }> {
    const app = express();
    const feed = mountEventFeed(app, {
      subgraph: 'car',
      db: table,
      signatures,
      signer: new EventSigner('car', developmentEventKey(secret, 'car')),
      log: createLogger({ service: 'car', level: 'silent', pretty: false }),
      wake: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      recheckMs,
    });
    const server = await listen(app, '127.0.0.1', 0);
    servers.push(server);
    return { url: server.url, feed };
  }

  /** Looks again only after its reads' whole wait: only a signal answers one sooner. */
  let signalled: { url: string; feed: EventFeed };
  /** Looks again every 200 ms. */
  let rechecking: { url: string; feed: EventFeed };

  beforeAll(async () => {
    signalled = await startFeed(60_000);
    rechecking = await startFeed(200);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  async function read(
    at: { url: string },
    query: string,
    signal?: AbortSignal,
  ): Promise<{ status: number; body: unknown; ms: number }> {
    const target = `/events${query}`;
    const headers = await signRequest(
      { ...ANONYMOUS, service: 'cost-center', scopes: [] },
      { method: 'GET', url: target, body: '' },
      secret,
      { audience: 'car', requestId: `test-${randomUUID()}` },
    );
    const started = Date.now();
    const response = await fetch(`${at.url}${target}`, { headers, ...(signal ? { signal } : {}) });
    return { status: response.status, body: await response.json(), ms: Date.now() - started };
  }
  const eventIds = (body: unknown) => (body as { events: { id: string }[] }).events.map((event) => event.id);
  /** Whether `pending` is still unanswered after a moment. */
  const stillHeld = (pending: Promise<unknown>) =>
    Promise.race([pending.then(() => false), new Promise<boolean>((resolve) => setTimeout(resolve, 300, true))]);

  it('answers at once when there are events, waiting or not', async () => {
    const row = table.add();
    const answer = await read(signalled, `?after=${Number(row.sequence) - 1}&wait=30000`);
    expect(answer.status).toBe(200);
    expect(eventIds(answer.body)).toEqual([row.id]);
  });

  it('answers a held read as soon as this process commits an event', async () => {
    const after = table.rows.length;
    const pending = read(signalled, `?after=${after}&wait=30000`);
    expect(await stillHeld(pending)).toBe(true);
    const row = table.add();
    committed();
    const answer = await pending;
    expect(eventIds(answer.body)).toEqual([row.id]);
    expect(answer.ms).toBeLessThan(25_000);
  });

  it('finds rows written elsewhere (no signal) at its next look', async () => {
    const after = table.rows.length;
    const pending = read(rechecking, `?after=${after}&wait=30000`);
    expect(await stillHeld(pending)).toBe(true);
    const row = table.add();
    expect(eventIds((await pending).body)).toEqual([row.id]);
  });

  it('ends empty, at the same position, once its wait is over', async () => {
    const after = table.rows.length;
    const answer = await read(signalled, `?after=${after}&wait=500`);
    expect(answer.body).toEqual({ events: [], next: after });
    expect(answer.ms).toBeGreaterThanOrEqual(450);
  });

  it('stops looking when the reader hangs up', async () => {
    const reader = new AbortController();
    const pending = read(rechecking, `?after=${table.rows.length}&wait=30000`, reader.signal).catch(() => 'hung up');
    expect(await stillHeld(pending)).toBe(true);
    reader.abort();
    expect(await pending).toBe('hung up');
    // Soon no more looks at the table: a held read still looking would read it every 200 ms.
    let reads = table.reads;
    await waitFor(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const still = table.reads === reads;
        reads = table.reads;
        return still;
      },
      20_000,
      'the held read to stop looking once its reader hung up',
      0,
    );
  });

  it('refuses a wait it will not hold with 400 INVALID_ARGUMENT', async () => {
    for (const wait of ['-1', '30001', '1.5', 'soon', '']) {
      const answer = await read(signalled, `?after=0&wait=${wait}`);
      expect([wait, answer.status]).toEqual([wait, 400]);
      expect(answer.body).toMatchObject({ errors: [{ extensions: { code: 'INVALID_ARGUMENT', field: 'wait' } }] });
    }
  });

  it('keeps an idle consumer (default settings) knowing it is caught up, a few seconds behind at most', async () => {
    // A read model says how fresh its figures are from when its consumer last knew it had
    // everything (caughtUpAt); a held read that finds nothing tells it only when it ends. So the
    // default wait bounds how stale an idle graph's freshness looks (it once reached 20 s).
    const settings = consumerSettingsFromEnv({});
    const db: ConsumerSql = {
      $queryRaw: <T>(query: TemplateStringsArray) =>
        Promise.resolve(
          (query.join('?').includes('event_cursor') ? [{ position: String(table.rows.length) }] : [{ n: 0 }]) as T,
        ),
      $executeRaw: () => Promise.resolve(0),
    };
    const consumer = new FeedConsumer<ConsumerSql>({
      name: 'car-watcher',
      owner: 'car',
      feedUrl: () => `${signalled.url}/events`,
      signer: { service: 'cost-center', secret },
      verifier: new EventVerifier('car', [publicKeyOf(developmentEventKey(secret, 'car'))]),
      db,
      transaction: (work) => work(db),
      apply: () => Promise.resolve(),
      log: createLogger({ service: 'cost-center', level: 'silent', pretty: false }),
      settings,
    });
    const startedAt = Date.now();
    consumer.start();
    try {
      // Watched for longer than the bound, so a default wait of that length or more would show
      // (from the start: a first read that finds nothing is held too).
      const boundMs = 5_000;
      let stalest = 0;
      const until = startedAt + boundMs + 2_000;
      while (Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const caughtUpAt = consumer.status().caughtUpAt;
        stalest = Math.max(stalest, Date.now() - (caughtUpAt === null ? startedAt : Date.parse(caughtUpAt)));
      }
      expect(stalest).toBeLessThan(boundMs);
    } finally {
      await consumer.stop();
    }
  }, 60_000);

  it('answers every held read at once when closed, and holds none after', async () => {
    const after = table.rows.length;
    const pending = [read(signalled, `?after=${after}&wait=30000`), read(signalled, `?after=${after}&wait=30000`)];
    expect(await stillHeld(Promise.all(pending))).toBe(true);
    signalled.feed.close();
    for (const answer of await Promise.all(pending)) {
      expect(answer.body).toEqual({ events: [], next: after });
      expect(answer.ms).toBeLessThan(25_000);
    }
    const later = await read(signalled, `?after=${after}&wait=30000`);
    expect(later.body).toEqual({ events: [], next: after });
    expect(later.ms).toBeLessThan(25_000);
  });
});
