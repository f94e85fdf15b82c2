import { randomUUID } from 'node:crypto';
import { connectRedis, type SharedRedis } from '@car-check/service-kit';
import { LogCapture } from '@car-check/test-support/logCapture';
import { TcpRelay } from '@car-check/test-support/tcpRelay';
import { waitFor } from '@car-check/test-support/waitFor';
import { Admission } from '../stages/admission';
import { Refusal } from '../refusal';
import { testConfig } from '@car-check/test-support/config';
import { requireServices } from '@car-check/test-support/services';

// The Redis every machine of this project runs, reached only through a relay this test cuts.
const REDIS = new URL(testConfig.TEST_REDIS_URL);
// Without Redis, every test here stops with "Redis unreachable at …", not a failed assertion.
beforeAll(() => requireServices('redis'));

/** How many of `count` requests from one fresh client `admissions` (taken in turn) let through. */
async function admitted(admissions: Admission[], count: number): Promise<number> {
  const client = { userId: null, address: `test-${randomUUID()}` };
  let passed = 0;
  for (let i = 0; i < count; i++) {
    try {
      await admissions[i % admissions.length]!.admit(client);
      passed += 1;
    } catch (error) {
      if (!(error instanceof Refusal) || error.status !== 429) throw error;
    }
  }
  return passed;
}

describe('the gateway’s rate limit with a Redis that goes away', () => {
  const relay = new TcpRelay(REDIS.hostname, Number(REDIS.port || 6379));
  let redis: SharedRedis;

  beforeAll(async () => {
    redis = connectRedis(`redis://127.0.0.1:${await relay.start()}`, new LogCapture('gateway').log);
    await waitFor(() => redis.up, 10_000, 'Redis connected');
  });
  afterAll(async () => {
    await redis.close();
    await relay.stop();
  });

  it('counts across instances through Redis, and each instance to its share while Redis is unreachable', async () => {
    // Two instances of the gateway, expecting two: 30 a minute in all, 15 each on their own.
    const instances = [Admission.create(30, redis, 2), Admission.create(30, redis, 2)];
    expect(await admitted(instances, 40)).toBe(30);

    await relay.cut();
    await waitFor(() => !redis.up, 10_000, 'the outage seen');
    expect(await admitted(instances, 40)).toBe(30);
    expect(await admitted(instances.slice(0, 1), 20)).toBe(15);
  });

  it('counts requests that arrive together as it counts them one by one (one call to Redis per client and turn)', async () => {
    const admission = Admission.create(30, redis, 1);
    const client = { userId: null, address: `test-${randomUUID()}` };
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => admission.admit(client)));
    const refused = results.filter((result) => result.status === 'rejected');
    expect([results.length - refused.length, refused.length]).toEqual([30, 10]);
    for (const result of refused) expect((result as PromiseRejectedResult).reason).toMatchObject({ status: 429 });
  });

  it('is all of the limit for the one instance without Redis', async () => {
    expect(await admitted([Admission.create(10, null)], 12)).toBe(10);
  });
});
