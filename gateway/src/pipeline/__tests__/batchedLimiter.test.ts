import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { batchedLimiter, type PointsLimiter } from '../stages/batchedLimiter';

/** Each consume's outcome, in order: 'ok' or 'refused', with the count it saw. */
async function outcomes(limiter: PointsLimiter, keys: string[]): Promise<string[]> {
  const settled = await Promise.allSettled(keys.map((key) => limiter.consume(key)));
  return settled.map((result) =>
    result.status === 'fulfilled'
      ? `ok ${result.value.consumedPoints}`
      : result.reason instanceof RateLimiterRes
        ? `refused ${result.reason.consumedPoints}`
        : `error ${(result.reason as Error).message}`,
  );
}

/** A memory limiter whose consume calls are counted (the IPC or Redis round trips a batch saves). */
function countedLimiter(points: number) {
  const limiter = new RateLimiterMemory({ points, duration: 60 });
  const calls: [string, number][] = [];
  return {
    calls,
    limiter: {
      consume: (key: string | number, requested = 1) => {
        calls.push([String(key), requested]);
        return limiter.consume(key, requested);
      },
    },
  };
}

describe('a rate limit counted elsewhere, one call in flight per client', () => {
  it('admits and refuses each request exactly as one call each would, in one call per key', async () => {
    const keys = ['a', 'a', 'b', 'a', 'a', 'a', 'a', 'a', 'b'];
    const alone = await (async () => {
      const limiter = new RateLimiterMemory({ points: 5, duration: 60 });
      const each: string[] = [];
      for (const key of keys) each.push(...(await outcomes(limiter, [key])));
      return each;
    })();
    const { limiter, calls } = countedLimiter(5);

    expect(await outcomes(batchedLimiter(limiter, 5), keys)).toEqual(alone);
    expect(alone.filter((each) => each.startsWith('refused'))).toHaveLength(2);
    expect(calls).toEqual([
      ['a', 7],
      ['b', 2],
    ]);
  });

  it('carries the count over turns: what an earlier turn took is spent', async () => {
    const { limiter, calls } = countedLimiter(5);
    const batched = batchedLimiter(limiter, 5);
    expect(await outcomes(batched, ['a', 'a', 'a'])).toEqual(['ok 1', 'ok 2', 'ok 3']);
    expect(await outcomes(batched, ['a', 'a', 'a', 'a'])).toEqual(['ok 4', 'ok 5', 'refused 6', 'refused 7']);
    expect(calls).toEqual([
      ['a', 3],
      ['a', 4],
    ]);
  });

  it('sends the requests that arrive while a client’s call is in flight together, once it returns', async () => {
    const counted = countedLimiter(5);
    // The count answers only when told: the first call stays in flight over several turns.
    const answers: (() => void)[] = [];
    const slow: PointsLimiter = {
      consume: (key, requested) =>
        new Promise<void>((resolve) => answers.push(resolve)).then(() => counted.limiter.consume(key, requested)),
    };
    const batched = batchedLimiter(slow, 5);
    const first = outcomes(batched, ['a', 'a']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answers).toHaveLength(1);
    const later = [outcomes(batched, ['a', 'b'])];
    await new Promise((resolve) => setImmediate(resolve));
    later.push(outcomes(batched, ['a', 'a']));
    await new Promise((resolve) => setImmediate(resolve));
    // Only b, whose client has no call in flight, went out meanwhile.
    expect(answers).toHaveLength(2);
    answers[1]!();
    answers[0]!();
    expect(await first).toEqual(['ok 1', 'ok 2']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answers).toHaveLength(3);
    answers[2]!();
    expect(await Promise.all(later)).toEqual([
      ['ok 3', 'ok 1'],
      ['ok 4', 'ok 5'],
    ]);
    expect(counted.calls).toEqual([
      ['b', 1],
      ['a', 2],
      ['a', 3],
    ]);
  });

  it('a refusal says when to retry, as the count does', async () => {
    const batched = batchedLimiter(new RateLimiterMemory({ points: 1, duration: 60 }), 1);
    const [, refused] = await Promise.allSettled([batched.consume('a'), batched.consume('a')]);
    expect(refused!.status).toBe('rejected');
    const { msBeforeNext } = (refused as PromiseRejectedResult).reason as RateLimiterRes;
    expect(msBeforeNext).toBeGreaterThan(50_000);
    expect(msBeforeNext).toBeLessThanOrEqual(60_000);
  });

  it('a count that cannot be reached fails every request of its call with that error', async () => {
    const batched = batchedLimiter({ consume: () => Promise.reject(new Error('primary did not answer')) }, 5);
    expect(await outcomes(batched, ['a', 'a', 'b'])).toEqual([
      'error primary did not answer',
      'error primary did not answer',
      'error primary did not answer',
    ]);
  });

  it('fails those that waited behind a call that could not reach the count at once, without another call', async () => {
    let calls = 0;
    let fail!: () => void;
    const stalled: PointsLimiter = {
      consume: () => {
        calls += 1;
        return new Promise((_resolve, reject) => (fail = () => reject(new Error('Redis did not answer'))));
      },
    };
    const batched = batchedLimiter(stalled, 5);
    const first = outcomes(batched, ['a']);
    await new Promise((resolve) => setImmediate(resolve));
    const behind = outcomes(batched, ['a', 'a']);
    await new Promise((resolve) => setImmediate(resolve));
    fail();
    expect(await first).toEqual(['error Redis did not answer']);
    expect(await behind).toEqual(['error Redis did not answer', 'error Redis did not answer']);
    expect(calls).toBe(1);
  });

  it('passes a request for several points straight through', async () => {
    const { limiter, calls } = countedLimiter(5);
    await batchedLimiter(limiter, 5).consume('a', 3);
    expect(calls).toEqual([['a', 3]]);
  });
});
