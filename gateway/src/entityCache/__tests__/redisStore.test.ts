import { randomUUID } from 'node:crypto';
import { connectRedis, type SharedRedis } from '@car-check/service-kit';
import { testConfig } from '@car-check/test-support/config';
import { LogCapture } from '@car-check/test-support/logCapture';
import { requireServices } from '@car-check/test-support/services';
import { TcpRelay } from '@car-check/test-support/tcpRelay';
import { waitFor } from '@car-check/test-support/waitFor';
import { RedisEntityStore } from '../redisStore';
import { SharedEntityStore } from '../sharedStore';
import { MemoryEntityStore } from '../store';

const REDIS = new URL(testConfig.TEST_REDIS_URL);
beforeAll(() => requireServices('redis'));

/** Keys of this run only: other suites may use the same Redis. */
const prefix = () => `entity-cache-test:${randomUUID()}:`;
const car = (id: string) => ({ owner: 'car', id });

describe('the entity cache in Redis, shared by gateways', () => {
  let redis: SharedRedis;
  beforeAll(async () => {
    redis = connectRedis(REDIS.toString(), new LogCapture('redis').log);
    await waitFor(() => redis.up, 10_000, 'Redis connected');
  });
  afterAll(async () => {
    await redis.close();
  });

  it('keeps entries for every gateway and drops an entity’s entries together', async () => {
    const keys = prefix();
    const one = new RedisEntityStore(redis.client, keys);
    const other = new RedisEntityStore(redis.client, keys);
    const { generation } = await one.lookup(['a']);
    expect(await one.set('a', car('1'), { model: 'Clio' }, 60_000, generation)).toBe(true);
    expect(await one.set('b', car('1'), { brand: 'Renault' }, 60_000, generation)).toBe(true);
    expect(await one.set('c', car('2'), { model: '208' }, 60_000, generation)).toBe(true);
    expect((await other.lookup(['a', 'b', 'c', 'd'])).entries.map((entry) => entry?.value)).toEqual([
      { model: 'Clio' },
      { brand: 'Renault' },
      { model: '208' },
      undefined,
    ]);
    expect(await other.invalidate([car('1')])).toBe(2);
    expect((await one.lookup(['a', 'b', 'c'])).entries.map((entry) => entry?.value)).toEqual([
      undefined,
      undefined,
      { model: '208' },
    ]);
  });

  it('refuses an answer one gateway fetched before another dropped its entity, and takes one fetched after', async () => {
    const keys = prefix();
    const fetching = new RedisEntityStore(redis.client, keys);
    const invalidating = new RedisEntityStore(redis.client, keys);
    const before = (await fetching.lookup(['a'])).generation;
    await invalidating.invalidate([car('1')]);
    expect(await fetching.set('a', car('1'), { model: 'old' }, 60_000, before)).toBe(false);
    const after = (await fetching.lookup(['a'])).generation;
    expect(await fetching.set('a', car('1'), { model: 'new' }, 60_000, after)).toBe(true);
    expect((await invalidating.lookup(['a'])).entries[0]?.value).toEqual({ model: 'new' });
  });

  it('lets an entry expire by its maxAge', async () => {
    const store = new RedisEntityStore(redis.client, prefix());
    await store.set('a', car('1'), {}, 50, 0);
    await waitFor(async () => (await store.lookup(['a'])).entries[0] === undefined, 5_000, 'the entry expired');
  });
});

describe('the shared store when Redis goes away', () => {
  const relay = new TcpRelay(REDIS.hostname, Number(REDIS.port || 6379));
  let redis: SharedRedis;
  let direct: SharedRedis;
  beforeAll(async () => {
    redis = connectRedis(`redis://127.0.0.1:${await relay.start()}`, new LogCapture('relayed').log);
    direct = connectRedis(REDIS.toString(), new LogCapture('direct').log);
    await waitFor(() => redis.up && direct.up, 10_000, 'Redis connected');
  });
  afterAll(async () => {
    await redis.close();
    await direct.close();
    await relay.stop();
  });

  it('serves from memory during the outage, and never from what Redis kept while invalidations missed it', async () => {
    const keys = prefix();
    const store = new SharedEntityStore(
      redis,
      new RedisEntityStore(redis.client, keys),
      new MemoryEntityStore(1_000_000),
    );
    const inRedis = new RedisEntityStore(direct.client, keys);
    const first = await store.lookup(['a']);
    expect(await store.set('a', car('1'), { model: 'Clio' }, 60_000, first.generation)).toBe(true);
    expect((await inRedis.lookup(['a'])).entries[0]?.value).toEqual({ model: 'Clio' });

    await relay.cut();
    await waitFor(() => !redis.up, 10_000, 'the outage seen');
    // In memory meanwhile: stored and served there.
    const during = await store.lookup(['b']);
    expect(during.entries[0]).toBeUndefined();
    expect(await store.set('b', car('2'), { model: '208' }, 60_000, during.generation)).toBe(true);
    expect((await store.lookup(['b'])).entries[0]?.value).toEqual({ model: '208' });
    // A change this gateway applies now cannot reach Redis, where the old entry still is.
    await store.invalidate([car('1')]);
    expect((await inRedis.lookup(['a'])).entries[0]?.value).toEqual({ model: 'Clio' });

    await relay.restore();
    await waitFor(() => redis.up, 15_000, 'the recovery seen');
    // Back on Redis, which is emptied first: the stale entry is never served.
    expect((await store.lookup(['a'])).entries[0]).toBeUndefined();
    expect((await inRedis.lookup(['a'])).entries[0]).toBeUndefined();
  });
});
