import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AuthConfig } from '../config';
import { LoginThrottle, type LoginAttempt } from '../throttle';
import { MemoryThrottleStore, RedisThrottleStore, waitFor, type ThrottleStore } from '../throttleStore';
import { testConfig } from '@car-check/test-support/config';
import { requireServices } from '@car-check/test-support/services';

const REDIS_URL = testConfig.TEST_REDIS_URL;
// Without Redis, every test here stops with "Redis unreachable at …", not a failed assertion.
beforeAll(() => requireServices('redis'));

const config: AuthConfig = {
  issuer: 'test',
  audience: 'test',
  tokenTtlSeconds: 3_600,
  privateKeyPem: null,
  dataDir: '.data',
  maxFailuresPerUser: 3,
  maxFailuresPerClient: 10,
  firstDelaySeconds: 5,
  lockoutSeconds: 60,
  knownAddressDays: 30,
};

/** What `reserve` answered: the attempt, or how long to wait when refused. */
async function tryReserve(throttle: LoginThrottle, username: string, client: string): Promise<LoginAttempt | number> {
  try {
    return await throttle.reserve(username, client);
  } catch (error) {
    const extensions = (error as { extensions: { code: string; retryAfterSeconds: number } }).extensions;
    expect(extensions.code).toBe('RESOURCE_EXHAUSTED');
    return extensions.retryAfterSeconds;
  }
}

async function fail(throttle: LoginThrottle, username: string, client: string): Promise<void> {
  const attempt = await tryReserve(throttle, username, client);
  if (typeof attempt === 'number') throw new Error(`refused, ${attempt} s to wait`);
  await attempt.failed();
}

describe('waitFor', () => {
  it('is nothing below the free failures, then doubles from the first delay up to the longest', () => {
    const rule = { free: 3, firstDelayMs: 5_000, maxDelayMs: 60_000, memoryMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map((failures) => waitFor(failures, rule))).toEqual([
      0, 0, 5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000,
    ]);
  });
});

describe.each<[string, () => { store: ThrottleStore; close: () => Promise<void> }]>([
  ['memory', () => ({ store: new MemoryThrottleStore(() => now), close: async () => undefined })],
  [
    'Redis',
    () => {
      const redis = new Redis(REDIS_URL);
      // A prefix of this run's own: nothing shared with other tests or runs.
      return {
        store: new RedisThrottleStore(redis, `test-login-${randomUUID()}:`),
        close: async () => void (await redis.quit()),
      };
    },
  ],
])('the sign-in throttle (%s)', (_name, open) => {
  let store: ThrottleStore;
  let close: () => Promise<void>;
  let throttle: LoginThrottle;

  beforeAll(() => {
    ({ store, close } = open());
  });
  afterAll(() => close());
  beforeEach(() => {
    now = 1_000_000_000;
    throttle = new LoginThrottle(config, store, () => now);
  });
  const user = () => `user-${randomUUID()}`;

  it('makes one address wait progressively longer at one account, never forever', async () => {
    const [name, address] = [user(), '10.0.0.1'];
    for (let i = 0; i < 3; i++) await fail(throttle, name, address);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const wait = await tryReserve(throttle, name, address);
      expect(typeof wait).toBe('number');
      waits.push(wait as number);
      now += (wait as number) * 1_000;
      await fail(throttle, name, address);
    }
    expect(waits).toEqual([5, 10, 20, 40, 60, 60]);
  });

  it('slows guesses at one account from many addresses as one, but not its owner at an address they signed in from', async () => {
    const name = user();
    const owner = await tryReserve(throttle, name, '10.0.1.1');
    if (typeof owner === 'number') throw new Error('the owner was refused');
    await owner.succeeded();
    for (let i = 0; i < 3; i++) await fail(throttle, name, `10.0.2.${i}`);
    expect(await tryReserve(throttle, name, '10.0.2.99')).toBe(5);
    expect(typeof (await tryReserve(throttle, name, '10.0.1.1'))).toBe('object');
  });

  it('slows guesses at many accounts from one address, but not the users known there', async () => {
    const regular = user();
    const first = await tryReserve(throttle, regular, '10.0.3.1');
    if (typeof first === 'number') throw new Error('refused');
    await first.succeeded();
    for (let i = 0; i < 10; i++) await fail(throttle, user(), '10.0.3.1');
    expect(await tryReserve(throttle, user(), '10.0.3.1')).toBe(5);
    expect(typeof (await tryReserve(throttle, regular, '10.0.3.1'))).toBe('object');
  });

  it('checks no more concurrent guesses than the free failures, and a refused guess costs nothing', async () => {
    const name = user();
    const attempts = await Promise.all(Array.from({ length: 10 }, () => tryReserve(throttle, name, '10.0.4.1')));
    expect(attempts.filter((attempt) => typeof attempt === 'object')).toHaveLength(3);
    // The refused seven were not counted against the address: 7 more accounts may still be tried from it.
    for (let i = 0; i < 7; i++) await fail(throttle, user(), '10.0.4.1');
  });

  it('forgets a successful attempt, so the owner’s own typos do not add up', async () => {
    const [name, address] = [user(), '10.0.5.1'];
    for (let round = 0; round < 3; round++) {
      await fail(throttle, name, address);
      await fail(throttle, name, address);
      const attempt = await tryReserve(throttle, name, address);
      if (typeof attempt === 'number') throw new Error(`refused in round ${round}`);
      await attempt.succeeded();
    }
  });
});

let now = 0;
