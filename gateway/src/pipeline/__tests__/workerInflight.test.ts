import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import { InflightRegistry, type PrimaryInflightMessage, type WorkerInflightMessage } from '../../inflightRegistry';
import { InflightQueries } from '../inflightQueries';
import { type PrimaryPort, WorkerInflight } from '../workerInflight';

const answer = (body: string): HTTPGraphQLResponse => ({
  status: 200,
  headers: new HeaderMap([['content-type', 'application/json']]),
  body: { kind: 'complete', string: body },
});
const FAR = () => Date.now() + 60_000;
/** The parsed operation the queries below run (its executions' length decides whether to ask). */
const OPERATION = {};
const turn = () => new Promise((resolve) => setImmediate(resolve));
/** A message to the primary and its reply. */
const roundTrip = async () => {
  await turn();
  await turn();
};

/**
 * A primary and its workers in one process. Messages travel as over node's IPC
 * channel: in order per channel, serialized, and each side's pending messages
 * read together in one later turn (as when several arrive in one read), which
 * is when a handler that waits for a microtask would miss the next one.
 */
class Cluster {
  readonly toPrimary: { from: number; message: WorkerInflightMessage }[] = [];
  readonly sent: WorkerInflightMessage[] = [];
  private readonly inboxes = new Map<number, PrimaryInflightMessage[]>();
  private readonly listeners = new Map<number, (message: unknown) => void>();
  private readonly disconnects = new Map<number, () => void>();
  private readonly connected = new Set<number>();
  readonly registry = new InflightRegistry((id, message) => {
    this.inboxes.get(id)?.push(JSON.parse(JSON.stringify(message)) as PrimaryInflightMessage);
    this.schedule();
  });
  private scheduled = false;
  private readonly workerInflights = new Map<number, WorkerInflight>();
  /** Workers whose messages wait (a slow channel), until `deliver`. */
  private readonly held = new Set<number>();

  hold(id: number): void {
    this.held.add(id);
  }

  deliver(id: number): void {
    this.held.delete(id);
    this.schedule();
  }

  /** The primary reads nothing (stalled), until `deliver`. */
  primaryStalled = false;

  worker(id: number, replyTimeoutMs?: number): InflightQueries {
    this.inboxes.set(id, []);
    this.connected.add(id);
    const port: PrimaryPort = {
      connected: () => this.connected.has(id),
      send: (message) => {
        this.sent.push(message);
        this.toPrimary.push({ from: id, message: JSON.parse(JSON.stringify(message)) as WorkerInflightMessage });
        this.schedule();
      },
      onMessage: (listener) => this.listeners.set(id, listener),
      onDisconnect: (listener) => this.disconnects.set(id, listener),
    };
    const inflight = new WorkerInflight(port, replyTimeoutMs);
    this.workerInflights.set(id, inflight);
    return new InflightQueries(inflight);
  }

  /** Worker `id`'s side of the channel. */
  inflightOf(id: number): WorkerInflight {
    return this.workerInflights.get(id)!;
  }

  /** A message worker `id` reads as if from the primary (forged, or sent twice). */
  toWorker(id: number, message: unknown): void {
    this.inboxes.get(id)?.push(message as PrimaryInflightMessage);
    this.schedule();
  }

  /** Worker `id` exits: its channel closes, and the primary hears of it. */
  exit(id: number): void {
    this.connected.delete(id);
    this.disconnects.get(id)?.();
    this.registry.workerGone(id);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.primaryStalled)
        for (const { from, message } of this.toPrimary.splice(0)) this.registry.receive(from, message);
      for (const [id, inbox] of this.inboxes) {
        if (!this.connected.has(id)) inbox.length = 0;
        if (this.held.has(id)) continue;
        for (const message of inbox.splice(0)) this.listeners.get(id)?.(message);
      }
    });
  }
}

/** A primary and two workers. */
function twoWorkers() {
  const cluster = new Cluster();
  return { cluster, a: cluster.worker(1), b: cluster.worker(2) };
}

/** An execution that answers `body` once released. */
function gated(body: string) {
  let runs = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    execute: async () => {
      runs += 1;
      await released;
      return answer(body);
    },
    release: () => release(),
    get runs() {
      return runs;
    },
  };
}

describe('identical queries in flight in different workers', () => {
  it('run once: the second worker waits for the first one’s answer', async () => {
    const { cluster, a, b } = twoWorkers();
    const query = gated('{"data":{"n":1}}');
    const first = a.run('k', query.execute, FAR(), OPERATION);
    await roundTrip();
    const second = b.run('k', query.execute, FAR(), OPERATION);
    const local = b.run('k', query.execute, FAR(), OPERATION);
    await roundTrip();
    query.release();
    const results = await Promise.all([first, second, local]);
    expect(query.runs).toBe(1);
    expect(results[0]).toMatchObject({ leader: true });
    for (const result of results.slice(1)) {
      expect(result.leader).toBe(false);
      if (result.leader) continue;
      expect(result.answer?.body).toBe('{"data":{"n":1}}');
      expect(result.answer?.bytes.toString()).toBe('{"data":{"n":1}}');
      expect(result.answer?.headers).toEqual([['content-type', 'application/json']]);
      expect(result.answer?.outcome).toBe('OK');
    }
    expect(cluster.registry.size).toBe(0);
  });

  it('never share different queries', async () => {
    const { a, b } = twoWorkers();
    const one = gated('{"data":{"n":1}}');
    const two = gated('{"data":{"n":2}}');
    const results = Promise.all([
      a.run('k1', one.execute, FAR(), OPERATION),
      b.run('k2', two.execute, FAR(), OPERATION),
    ]);
    await roundTrip();
    one.release();
    two.release();
    expect((await results).map((result) => result.leader)).toEqual([true, true]);
    expect([one.runs, two.runs]).toEqual([1, 1]);
  });

  it('send an answer’s body to the primary only when another worker waits for it', async () => {
    const cluster = new Cluster();
    const a = cluster.worker(1);
    cluster.worker(2);
    const alone = gated('{"data":{"n":1}}');
    const pending = a.run('k', alone.execute, FAR(), OPERATION);
    await roundTrip();
    alone.release();
    await pending;
    await turn();
    expect(cluster.sent.map((message) => [message.type, message.type === 'done' ? message.answer : undefined])).toEqual(
      [
        ['claim', undefined],
        ['done', null],
      ],
    );
  });

  it('find the answer when the primary’s reply and the answer are read in the same turn', async () => {
    const { cluster, a, b } = twoWorkers();
    const query = gated('{"data":{"n":1}}');
    const first = a.run('k', query.execute, FAR(), OPERATION);
    await roundTrip();
    // The second worker's channel is slow: the primary's reply to its claim and the first
    // worker's answer reach it together, and are read in one turn.
    cluster.hold(2);
    const second = b.run('k', query.execute, Date.now() + 10_000, OPERATION);
    await roundTrip();
    query.release();
    await first;
    await turn();
    cluster.deliver(2);
    const result = await second;
    expect(query.runs).toBe(1);
    expect(result).toMatchObject({ leader: false, answer: { body: '{"data":{"n":1}}' } });
  });

  it('run it themselves when the answer cannot be shared, the worker running it is gone, or the deadline passes', async () => {
    // A streamed answer cannot be shared.
    {
      const { a, b } = twoWorkers();
      let release!: () => void;
      const streamed = async (): Promise<HTTPGraphQLResponse> => {
        await new Promise<void>((resolve) => (release = resolve));
        return {
          status: 200,
          headers: new HeaderMap(),
          body: { kind: 'chunked', asyncIterator: (async function* () {})() },
        };
      };
      const first = a.run('k', streamed, FAR(), OPERATION);
      await roundTrip();
      let ownRuns = 0;
      const second = b.run('k', async () => ((ownRuns += 1), answer('{"data":{}}')), FAR(), OPERATION);
      await roundTrip();
      release();
      await first;
      expect(await second).toMatchObject({ leader: true });
      expect(ownRuns).toBe(1);
    }
    // The worker running it exits.
    {
      const { cluster, a, b } = twoWorkers();
      const hung = gated('{"data":{"n":1}}');
      void a.run('k', hung.execute, FAR(), OPERATION);
      await roundTrip();
      let ownRuns = 0;
      const second = b.run('k', async () => ((ownRuns += 1), answer('{"data":{"n":2}}')), FAR(), OPERATION);
      await roundTrip();
      cluster.exit(1);
      expect(await second).toMatchObject({ leader: true });
      expect(ownRuns).toBe(1);
      expect(cluster.registry.size).toBe(0);
    }
    // The follower's deadline passes first.
    {
      const { a, b } = twoWorkers();
      const slow = gated('{"data":{"n":1}}');
      const first = a.run('k', slow.execute, FAR(), OPERATION);
      await roundTrip();
      let ownRuns = 0;
      const second = await b.run(
        'k',
        async () => ((ownRuns += 1), answer('{"data":{"n":2}}')),
        Date.now() + 50,
        OPERATION,
      );
      expect(second).toMatchObject({ leader: true });
      expect(ownRuns).toBe(1);
      slow.release();
      await first;
    }
  });

  it('a failed execution releases the workers waiting for it, who run it themselves', async () => {
    const { a, b } = twoWorkers();
    let fail!: (error: Error) => void;
    const first = a.run(
      'k',
      () => new Promise<HTTPGraphQLResponse>((_resolve, reject) => (fail = reject)),
      FAR(),
      OPERATION,
    );
    await roundTrip();
    const second = b.run('k', async () => answer('{"data":{"n":2}}'), FAR(), OPERATION);
    await roundTrip();
    fail(new Error('boom'));
    await expect(first).rejects.toThrow('boom');
    expect(await second).toMatchObject({ leader: true });
  });

  it('a worker whose primary does not answer runs the query itself, and clears its claim once done', async () => {
    const cluster = new Cluster();
    const a = cluster.worker(1, 50);
    cluster.primaryStalled = true;
    let runs = 0;
    const result = await a.run('k', async () => ((runs += 1), answer('{"data":{}}')), FAR(), OPERATION);
    expect(result).toMatchObject({ leader: true });
    expect(runs).toBe(1);
    // The primary reads the late claim, then the `done` that follows it: nothing stays on record.
    cluster.primaryStalled = false;
    cluster.deliver(1);
    await turn();
    expect(cluster.registry.size).toBe(0);
  });

  it('a worker whose channel to the primary closed runs what it was asking about', async () => {
    const cluster = new Cluster();
    const a = cluster.worker(1);
    const pending = a.run('k', async () => answer('{"data":{}}'), FAR(), OPERATION);
    cluster.exit(1);
    expect(await pending).toMatchObject({ leader: true });
    // And asks nothing more once it is closed.
    const sent = cluster.sent.length;
    expect(await a.run('k2', async () => answer('{"data":{}}'), FAR(), OPERATION)).toMatchObject({ leader: true });
    expect(cluster.sent.length).toBe(sent);
  });
});

describe('which queries a worker asks the others about', () => {
  it('not one whose executions here have been quick, until they are slow again', async () => {
    const cluster = new Cluster();
    const a = cluster.worker(1);
    const claims = () => cluster.sent.filter((message) => message.type === 'claim').length;
    // An unknown operation is asked about.
    await a.run('k', async () => answer('{"data":{}}'), FAR(), {});
    await turn();
    expect(claims()).toBe(1);
    // One whose executions here averaged under WORTH_ASKING_MS is not. (Set, not measured: on a
    // loaded machine an instant execution can take that long.)
    const quick = {};
    cluster.inflightOf(1).observe(quick, 0);
    await a.run('k', async () => answer('{"data":{}}'), FAR(), quick);
    expect(claims()).toBe(1);
    // Executions of 40 ms or more lift its average past it: the next is asked about again.
    const slow = async () => {
      await new Promise((resolve) => setTimeout(resolve, 40));
      return answer('{"data":{}}');
    };
    await a.run('k', slow, FAR(), quick);
    const before = claims();
    await a.run('k', slow, FAR(), quick);
    await turn();
    expect(claims()).toBe(before + 1);
  });

  it('none in a gateway of one process', async () => {
    const single = new InflightQueries();
    expect(await single.run('k', async () => answer('{"data":{}}'), FAR(), OPERATION)).toMatchObject({ leader: true });
  });
});

describe('messages forged or sent twice', () => {
  it('a worker ignores a message whose shape is wrong, and an answer it no longer waits for', async () => {
    const { cluster, a, b } = twoWorkers();
    const query = gated('{"data":{"n":1}}');
    const first = a.run('k', query.execute, FAR(), OPERATION);
    await roundTrip();
    const second = b.run('k', query.execute, FAR(), OPERATION);
    await roundTrip();
    const key = cluster.sent.find((message) => message.type === 'claim')!.key;
    for (const forged of [
      { channel: 'car-check:inflight', type: 'answer', key, answer: { body: 5 } },
      {
        channel: 'car-check:inflight',
        type: 'answer',
        key,
        answer: { status: 200, headers: [[1]], body: '', outcome: 'OK', errors: 0 },
      },
      { channel: 'car-check:inflight', type: 'claimed', id: 'x', key, lead: true },
      { channel: 'car-check:inflight', type: 'wanted' },
    ])
      cluster.toWorker(2, forged);
    await roundTrip();
    query.release();
    const [, result] = await Promise.all([first, second]);
    expect(result).toMatchObject({ leader: false, answer: { body: '{"data":{"n":1}}' } });
    expect(query.runs).toBe(1);
    // The same answer again, once nothing waits for it: nothing happens.
    cluster.toWorker(2, { channel: 'car-check:inflight', type: 'answer', key, answer: null });
    await roundTrip();
    expect(cluster.registry.size).toBe(0);
  });

  it('a claim sent twice leaves no query on record that no worker runs', async () => {
    const { cluster, b } = twoWorkers();
    // The primary reads a claim of worker 1 that no request of worker 1 waits for.
    cluster.registry.receive(1, { channel: 'car-check:inflight', type: 'claim', id: 99, key: 'replayed' });
    expect(cluster.registry.size).toBe(1);
    await roundTrip();
    // Worker 1 read a `claimed` it did not ask for, and said it is done.
    await roundTrip();
    expect(cluster.registry.size).toBe(0);
    // So a worker asking about it runs it, rather than waiting for a query nobody runs.
    expect(await b.run('replayed', async () => answer('{"data":{}}'), FAR(), OPERATION)).toMatchObject({
      leader: true,
    });
  });

  it('the primary ignores a `done` from a worker that does not run the query, and a malformed one', async () => {
    const { cluster, a } = twoWorkers();
    const query = gated('{"data":{"n":1}}');
    const first = a.run('k', query.execute, FAR(), OPERATION);
    await roundTrip();
    const key = cluster.sent.find((message) => message.type === 'claim')!.key;
    cluster.registry.receive(2, { channel: 'car-check:inflight', type: 'done', key, answer: null });
    cluster.registry.receive(1, { channel: 'car-check:inflight', type: 'done', key, answer: { body: 'x' } });
    expect(cluster.registry.size).toBe(1);
    query.release();
    await first;
    await roundTrip();
    expect(cluster.registry.size).toBe(0);
  });

  it('an answer with errors crosses with its outcome and error count', async () => {
    const { a, b } = twoWorkers();
    const failed = gated('{"errors":[{"message":"down","extensions":{"code":"UNAVAILABLE"}}],"data":{"n":null}}');
    const first = a.run('k', failed.execute, FAR(), OPERATION);
    await roundTrip();
    const second = b.run('k', failed.execute, FAR(), OPERATION);
    await roundTrip();
    failed.release();
    const [, result] = await Promise.all([first, second]);
    expect(result).toMatchObject({ leader: false, answer: { outcome: 'UNAVAILABLE', errors: 1 } });
  });
});

describe('InflightRegistry', () => {
  it('ignores messages that are not its own', () => {
    const sent: unknown[] = [];
    const registry = new InflightRegistry((_id, message) => sent.push(message));
    for (const message of [
      null,
      'x',
      { channel: 'rate_limiter_flexible', type: 'claim', id: 1, key: 'k' },
      { channel: 'car-check:inflight', type: 'claim', key: 'k' },
    ])
      registry.receive(1, message);
    expect(sent).toEqual([]);
    expect(registry.size).toBe(0);
  });
});
