import { retryUntilStopped } from '../retry';

/** An attempt that fails `times` times, then answers `value`; it records when each call came. */
function failingAttempt<T>(times: number, value: T) {
  const calls: number[] = [];
  const attempt = async (): Promise<T> => {
    calls.push(Date.now());
    if (calls.length <= times) throw new Error(`failure ${calls.length}`);
    return value;
  };
  return { attempt, calls };
}

describe('retryUntilStopped', () => {
  it('retries until the attempt succeeds, counting the failures in a row, with a doubling wait', async () => {
    const { attempt, calls } = failingAttempt(3, 'done');
    const failures: Array<[string, number]> = [];
    const result = await retryUntilStopped(attempt, {
      firstDelayMs: 20,
      maxDelayMs: 60_000,
      signal: new AbortController().signal,
      onFailure: (error, count) => failures.push([(error as Error).message, count]),
    });
    expect(result).toEqual({ value: 'done' });
    expect(failures).toEqual([
      ['failure 1', 1],
      ['failure 2', 2],
      ['failure 3', 3],
    ]);
    // 20, 40 then 80 ms: each wait at least as long as the schedule says (timers never fire early).
    const waits = calls.slice(1).map((at, index) => at - calls[index]!);
    expect(waits[0]).toBeGreaterThanOrEqual(19);
    expect(waits[1]).toBeGreaterThanOrEqual(39);
    expect(waits[2]).toBeGreaterThanOrEqual(79);
  });

  it('has no attempt limit (the library stops after 10 by default)', async () => {
    const { attempt, calls } = failingAttempt(12, 'late');
    const signal = new AbortController().signal;
    const result = await retryUntilStopped(attempt, { firstDelayMs: 1, maxDelayMs: 2, signal });
    expect(result).toEqual({ value: 'late' });
    expect(calls).toHaveLength(13);
  });

  it('caps the wait at maxDelayMs', async () => {
    const { attempt, calls } = failingAttempt(8, 'capped');
    await retryUntilStopped(attempt, { firstDelayMs: 10, maxDelayMs: 10, signal: new AbortController().signal });
    // Uncapped, the eight waits would take 10 + 20 + … + 1280 = 2550 ms; capped, about 80 ms.
    expect(calls).toHaveLength(9);
    expect(calls.at(-1)! - calls[0]!).toBeLessThan(1_500);
  });

  it('stops in the middle of a wait at once, without another attempt', async () => {
    const { attempt, calls } = failingAttempt(Number.POSITIVE_INFINITY, 'never');
    const controller = new AbortController();
    const firstFailure = new Promise<void>((resolve) => {
      void retryUntilStopped(attempt, {
        firstDelayMs: 1_500,
        maxDelayMs: 1_500,
        signal: controller.signal,
        onFailure: () => resolve(),
      }).then((result) => outcome.push(result));
    });
    const outcome: unknown[] = [];
    await firstFailure;
    controller.abort();
    // Long before the 1.5 s wait ends.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(outcome).toEqual([null]);
    // And the library's timer, when it runs out, starts no attempt.
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    expect(calls).toHaveLength(1);
  });

  it('waits for the attempt in hand when stopped during it, and reports the stop', async () => {
    const controller = new AbortController();
    let finished = false;
    const result = retryUntilStopped(
      async () => {
        controller.abort();
        await new Promise((resolve) => setTimeout(resolve, 50));
        finished = true;
        throw new Error('failed while stopping');
      },
      { firstDelayMs: 10, maxDelayMs: 10, signal: controller.signal },
    );
    await expect(result).resolves.toBeNull();
    expect(finished).toBe(true);
  });

  it('keeps the result of an attempt that succeeds while stopping', async () => {
    const controller = new AbortController();
    const result = retryUntilStopped(
      async () => {
        controller.abort();
        await new Promise((resolve) => setTimeout(resolve, 50));
        return 'applied';
      },
      { firstDelayMs: 10, maxDelayMs: 10, signal: controller.signal },
    );
    await expect(result).resolves.toEqual({ value: 'applied' });
  });

  it('ends at a final failure and throws it', async () => {
    const final = new Error('no retry fixes this');
    const calls: number[] = [];
    const attempt = async () => {
      calls.push(Date.now());
      throw final;
    };
    const options = { firstDelayMs: 1, maxDelayMs: 1, signal: new AbortController().signal };
    await expect(retryUntilStopped(attempt, { ...options, isFinal: (error) => error === final })).rejects.toBe(final);
    expect(calls).toHaveLength(1);
  });

  it('waits before the first attempt when asked to', async () => {
    const started = Date.now();
    const calls: number[] = [];
    await retryUntilStopped(async () => calls.push(Date.now()), {
      firstDelayMs: 50,
      maxDelayMs: 50,
      signal: new AbortController().signal,
      delayFirstAttempt: true,
    });
    expect(calls[0]! - started).toBeGreaterThanOrEqual(49);
  });
});
