import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { LogCapture } from '@car-check/test-support/logCapture';
import { TcpRelay } from '@car-check/test-support/tcpRelay';
import { waitFor } from '@car-check/test-support/waitFor';
import { FailoverNonceStore } from '../nonceStore';
import { connectRedis, redisDependency, type SharedRedis } from '../redis';
import { testConfig } from '@car-check/test-support/config';
import { requireServices } from '@car-check/test-support/services';

// The Redis every machine of this project runs, reached only through a relay these tests cut.
const REDIS = new URL(testConfig.TEST_REDIS_URL);
// Without Redis, every test here stops with "Redis unreachable at …", not a failed assertion.
beforeAll(() => requireServices('redis'));

describe('state shared through a Redis that goes away', () => {
  const relay = new TcpRelay(REDIS.hostname, Number(REDIS.port || 6379));
  const logs = new LogCapture('state');
  const registry = new Registry();
  let redis: SharedRedis;
  let other: SharedRedis;
  const lines = (message: RegExp) => logs.entries().filter((entry) => message.test(String(entry.msg))).length;
  const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values;

  beforeAll(async () => {
    const url = `redis://127.0.0.1:${await relay.start()}`;
    redis = connectRedis(url, logs.log, registry);
    // Another instance, on the real Redis directly: it never sees the outage.
    other = connectRedis(REDIS.toString(), new LogCapture('other').log);
    await waitFor(() => redis.up && other.up, 10_000, 'both connected');
  });
  afterAll(async () => {
    await redis.close();
    await other.close();
    await relay.stop();
  });

  it('shares nonces while Redis answers, falls back to memory during an outage, and says so once each way', async () => {
    const instance = new FailoverNonceStore(redis);
    const elsewhere = new FailoverNonceStore(other);
    const validUntil = () => Date.now() + 30_000;
    expect(redisDependency(redis)).toEqual({ redis: 'up' });
    expect((await metric('redis_up'))[0]!.value).toBe(1);

    const before = randomUUID();
    expect(await instance.claim(before, validUntil())).toBe(true);
    expect(await elsewhere.claim(before, validUntil())).toBe(false);

    const outagesBefore = lines(/^Redis unreachable/);
    await relay.cut();
    await waitFor(() => !redis.up, 10_000, 'the outage seen');
    expect(redisDependency(redis)).toEqual({ redis: 'down' });
    expect((await metric('redis_up'))[0]!.value).toBe(0);

    // Sign-ins keep working: a fresh nonce is accepted, a replay to this instance refused,
    // including a replay of one accepted before the outage.
    const during = randomUUID();
    expect(await instance.claim(during, validUntil())).toBe(true);
    expect(await instance.claim(during, validUntil())).toBe(false);
    expect(await instance.claim(before, validUntil())).toBe(false);
    for (let i = 0; i < 20; i++) await instance.claim(randomUUID(), validUntil());
    const fallbacks = (await metric('shared_state_fallbacks_total')).find((value) => value.labels.state === 'nonces');
    expect(fallbacks?.value).toBeGreaterThanOrEqual(21);
    expect(lines(/^Redis unreachable/) - outagesBefore).toBe(1);

    const recoveriesBefore = lines(/^Redis reachable again/);
    await relay.restore();
    await waitFor(() => redis.up, 15_000, 'the recovery seen');
    expect(lines(/^Redis reachable again/) - recoveriesBefore).toBe(1);
    expect(lines(/^Redis unreachable/) - outagesBefore).toBe(1);
    const after = randomUUID();
    expect(await instance.claim(after, validUntil())).toBe(true);
    expect(await elsewhere.claim(after, validUntil())).toBe(false);
  });

  it('runs the local substitute, not the shared state, when a command fails; passes answers that travel as rejections', async () => {
    class Refused extends Error {}
    const failing = () => Promise.reject(new Error('boom'));
    expect(await redis.orFallback('rate_limit', failing, async () => 'local')).toBe('local');
    await expect(
      redis.orFallback(
        'rate_limit',
        () => Promise.reject(new Refused()),
        async () => 'local',
        (error) => error instanceof Refused,
      ),
    ).rejects.toBeInstanceOf(Refused);
    expect(
      await redis.orFallback(
        'rate_limit',
        async () => 'shared',
        async () => 'local',
      ),
    ).toBe('shared');
  });

  it('logs nothing when closed on purpose', async () => {
    const quiet = new LogCapture('quiet');
    const closing = connectRedis(REDIS.toString(), quiet.log);
    await waitFor(() => closing.up, 10_000, 'connected');
    await closing.close();
    expect(quiet.lines).toEqual([]);
  });
});
