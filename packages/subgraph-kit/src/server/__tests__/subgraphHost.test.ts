import { startSideBySide, type Stoppable } from '../subgraphHost';

/** A subgraph's start that the test settles by hand, and what happened to the subgraph it made. */
function pendingStart(name: string) {
  let succeed!: () => void;
  let fail!: (error: Error) => void;
  const record = { name, stops: 0 };
  const started = new Promise<Stoppable>((resolve, reject) => {
    succeed = () =>
      resolve({
        stop: async () => {
          record.stops += 1;
        },
      });
    fail = reject;
  });
  return { name, start: () => started, succeed, fail, record };
}

describe('subgraphs side by side in one process (the subgraph host)', () => {
  it('starts every subgraph at once, and stop drains each that started, once', async () => {
    const starts = ['car', 'cost-center', 'user'].map(pendingStart);
    const calls: string[] = [];
    const hosted = startSideBySide(
      starts.map((each) => ({
        name: each.name,
        start: () => {
          calls.push(each.name);
          return each.start();
        },
      })),
    );
    // All three were asked to start before any finished.
    expect(calls).toEqual(['car', 'cost-center', 'user']);
    for (const each of starts) each.succeed();

    await Promise.all([hosted.stop(), hosted.stop()]);
    expect(starts.map((each) => each.record)).toEqual([
      { name: 'car', stops: 1 },
      { name: 'cost-center', stops: 1 },
      { name: 'user', stops: 1 },
    ]);
  });

  it('names the first subgraph that failed, and still drains the others once they have started', async () => {
    const [car, costCenter, user] = ['car', 'cost-center', 'user'].map(pendingStart);
    const hosted = startSideBySide([car!, costCenter!, user!]);
    const failed = hosted.failed.then(({ name, error }) => ({ name, message: (error as Error).message }));

    car!.succeed();
    costCenter!.fail(new Error('Migration 29990101000000_x is applied but missing'));
    user!.fail(new Error('a second failure'));
    expect(await failed).toEqual({ name: 'cost-center', message: 'Migration 29990101000000_x is applied but missing' });

    await hosted.stop();
    expect([car!.record.stops, costCenter!.record.stops, user!.record.stops]).toEqual([1, 0, 0]);
  });

  it('stopped while a subgraph is still starting: waits for it, then drains it too', async () => {
    const [car, user] = ['car', 'user'].map(pendingStart);
    const hosted = startSideBySide([car!, user!]);
    car!.succeed();
    let stopped = false;
    const stopping = hosted.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);

    user!.succeed();
    await stopping;
    expect([car!.record.stops, user!.record.stops]).toEqual([1, 1]);
  });

  it('a subgraph whose drain fails: the others are still drained, and stop reports the failure', async () => {
    const user = pendingStart('user');
    user.succeed();
    const hosted = startSideBySide([
      { name: 'car', start: () => Promise.resolve({ stop: () => Promise.reject(new Error('database gone')) }) },
      user,
    ]);
    await expect(hosted.stop()).rejects.toThrow('database gone');
    expect(user.record.stops).toBe(1);
  });
});
