import { createLogger } from '@car-check/service-kit';
import { GraphQLError } from 'graphql';
import type { EntityChange } from '../change';
import { encodeStreamCursor } from '../cursor';
import { ChangeStream } from '../stream';
import { OutboxTailer } from '../tailer';
import { FakeSource } from './fakeSource';

const log = createLogger({ service: 'test', level: 'silent', pretty: false });

function setUp(options: { bufferSize?: number; after?: bigint | null; pageSize?: number } = {}) {
  const source = new FakeSource();
  let wake: () => void = () => undefined;
  const tailer = new OutboxTailer({
    source,
    pollMs: 3_600_000,
    log,
    wake: (listener) => {
      wake = listener;
      return () => undefined;
    },
  });
  const open = async (matches: (change: EntityChange) => boolean = () => true) =>
    new ChangeStream({
      subgraph: 'car',
      entity: 'Car',
      source,
      tailer,
      after: options.after ?? null,
      matches,
      bufferSize: options.bufferSize ?? 100,
      pageSize: options.pageSize ?? 3,
    }).open();
  return { source, tailer, open, wake: () => wake() };
}

/** Takes `count` changes from the stream, as sequences. */
async function take(stream: ChangeStream, count: number): Promise<bigint[]> {
  const sequences: bigint[] = [];
  while (sequences.length < count) {
    const { value, done } = await stream.next();
    if (done) break;
    sequences.push(value.sequence);
  }
  return sequences;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => BigInt(from + i));

describe('ChangeStream', () => {
  it('replays from its cursor page by page, then goes live, without gap or duplicate', async () => {
    const { source, tailer, open, wake } = setUp({ after: 2n });
    source.append(10);
    // Another subscriber keeps the tailer reading while this one replays.
    await tailer.register(() => undefined);
    const stream = await open();
    // Live changes committed during the replay: the tailer hands them over too.
    source.append(2);
    wake();
    expect(await take(stream, 10)).toEqual(range(3, 12));
    source.append(1);
    wake();
    expect(await take(stream, 1)).toEqual([13n]);
    expect(stream.cursor).toBe(encodeStreamCursor('car', 13n));
    await stream.return();
    await tailer.stop();
  });

  it('without a cursor, starts after the newest change', async () => {
    const { source, tailer, open, wake } = setUp();
    source.append(4);
    const stream = await open();
    source.append(2);
    wake();
    expect(await take(stream, 2)).toEqual([5n, 6n]);
    await stream.return();
    await tailer.stop();
  });

  it('skips other entities and filtered-out changes, and its cursor moves past them', async () => {
    const { source, tailer, open, wake } = setUp();
    const stream = await open((change) => change.sequence !== 2n);
    source.append(1);
    source.append(1);
    source.append(1, 'CostCenter');
    source.append(1);
    wake();
    expect(await take(stream, 2)).toEqual([1n, 4n]);
    expect(stream.cursor).toBe(encodeStreamCursor('car', 4n));
    await stream.return();
    await tailer.stop();
  });

  it('live, ends with RESOURCE_EXHAUSTED and the last cursor handed out when its buffer overflows', async () => {
    const { source, tailer, open, wake } = setUp({ bufferSize: 3 });
    const stream = await open();
    source.append(1);
    wake();
    expect(await take(stream, 1)).toEqual([1n]);
    source.append(4);
    wake();
    const failure = await stream.next().then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(GraphQLError);
    expect((failure as GraphQLError).extensions).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      cursor: encodeStreamCursor('car', 1n),
    });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    await tailer.stop();
  });

  it('while replaying, drops an overflowing buffer and reads the outbox again instead of failing', async () => {
    const { source, tailer, open, wake } = setUp({ bufferSize: 2, after: 0n });
    await tailer.register(() => undefined);
    source.append(2);
    const stream = await open();
    // Five live changes arrive before the replay read: more than the buffer holds.
    source.append(5);
    wake();
    expect(await take(stream, 7)).toEqual(range(1, 7));
    source.append(1);
    wake();
    expect(await take(stream, 1)).toEqual([8n]);
    await stream.return();
    await tailer.stop();
  });

  it('ends normally on end() (graceful shutdown), and a pending read returns done', async () => {
    const { tailer, open } = setUp();
    const stream = await open();
    const pending = stream.next();
    stream.end();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(tailer.size).toBe(0);
    await tailer.stop();
  });
});
