import { createLogger } from '@car-check/service-kit';
import { waitFor } from '@car-check/test-support/waitFor';
import type { EntityChange } from '../change';
import { OutboxTailer } from '../tailer';
import { FakeSource } from './fakeSource';

const log = createLogger({ service: 'test', level: 'silent', pretty: false });

/** A tailer that only reads when woken (its poll is an hour): the test decides when. */
function tailerOf(source: FakeSource, pageSize = 500) {
  let wake: () => void = () => undefined;
  const tailer = new OutboxTailer({
    source,
    pollMs: 3_600_000,
    pageSize,
    log,
    wake: (listener) => {
      wake = listener;
      return () => (wake = () => undefined);
    },
  });
  return { tailer, wake: () => wake() };
}

describe('OutboxTailer', () => {
  it('reads the outbox once per wake for all its listeners, from the newest row when it started', async () => {
    const source = new FakeSource();
    source.append(3);
    const { tailer, wake } = tailerOf(source, 2);
    const first: EntityChange[] = [];
    const second: EntityChange[] = [];
    const one = await tailer.register((change) => first.push(change));
    const two = await tailer.register((change) => second.push(change));
    expect([one.from, two.from]).toEqual([3n, 3n]);

    source.append(5);
    const readsBefore = source.reads;
    wake();
    await waitFor(() => first.length === 5);
    // 5 rows in pages of 2: three reads, shared by both listeners.
    expect(source.reads - readsBefore).toBe(3);
    expect(first.map((change) => change.sequence)).toEqual([4n, 5n, 6n, 7n, 8n]);
    expect(second).toEqual(first);

    two.unregister();
    source.append(1);
    wake();
    await waitFor(() => first.length === 6);
    expect(second).toHaveLength(5);
    await tailer.stop();
  });

  it('gives a late listener the exact position after which it gets every change', async () => {
    const source = new FakeSource();
    const { tailer, wake } = tailerOf(source);
    const early: EntityChange[] = [];
    await tailer.register((change) => early.push(change));
    source.append(2);
    wake();
    await waitFor(() => early.length === 2);
    const late: EntityChange[] = [];
    const registration = await tailer.register((change) => late.push(change));
    expect(registration.from).toBe(2n);
    source.append(1);
    wake();
    await waitFor(() => late.length === 1);
    expect(late[0]!.sequence).toBe(3n);
    await tailer.stop();
  });

  it('reads again when woken during a read, so no commit waits for the next poll', async () => {
    const source = new FakeSource();
    const { tailer, wake } = tailerOf(source);
    const seen: EntityChange[] = [];
    await tailer.register((change) => seen.push(change));
    let release: () => void = () => undefined;
    source.gate = new Promise((resolve) => (release = resolve));
    source.append(1);
    wake();
    await waitFor(() => source.reads >= 1);
    // Committed while the first read is in flight, and woken then.
    source.append(1);
    wake();
    source.gate = null;
    release();
    await waitFor(() => seen.length === 2);
    expect(seen.map((change) => change.sequence)).toEqual([1n, 2n]);
    await tailer.stop();
  });

  it('polls for rows other processes wrote', async () => {
    const source = new FakeSource();
    const tailer = new OutboxTailer({ source, pollMs: 20, log, wake: () => () => undefined });
    const seen: EntityChange[] = [];
    await tailer.register((change) => seen.push(change));
    source.append(2);
    await waitFor(() => seen.length === 2, 10_000);
    await tailer.stop();
  });
});
