import { MemoryEntityStore } from '../store';

const car = (id: string) => ({ owner: 'car', id });

describe('the memory entity store', () => {
  it('keeps entries until their entity is invalidated, whatever their selection or scope', () => {
    const store = new MemoryEntityStore(1_000_000);
    const generation = store.generation();
    expect(store.setNow('a', car('1'), { model: 'Clio' }, 60_000, generation)).toBe(true);
    expect(store.setNow('b', car('1'), { brand: 'Renault' }, 60_000, generation)).toBe(true);
    expect(store.setNow('c', car('2'), { model: '208' }, 60_000, generation)).toBe(true);
    expect(store.get('a')?.value).toEqual({ model: 'Clio' });
    expect(store.invalidateNow([car('1')])).toBe(2);
    expect(store.get('a')).toBeUndefined();
    expect(store.get('b')).toBeUndefined();
    expect(store.get('c')?.value).toEqual({ model: '208' });
  });

  it('never stores what was fetched before an invalidation of its entity, and stores what was fetched after', () => {
    const store = new MemoryEntityStore(1_000_000);
    const before = store.generation();
    store.invalidateNow([car('1')]);
    expect(store.setNow('a', car('1'), { model: 'old' }, 60_000, before)).toBe(false);
    expect(store.get('a')).toBeUndefined();
    // Another entity's answer from the same fetch is not concerned.
    expect(store.setNow('b', car('2'), { model: 'other' }, 60_000, before)).toBe(true);
    expect(store.setNow('a', car('1'), { model: 'new' }, 60_000, store.generation())).toBe(true);
    expect(store.get('a')?.value).toEqual({ model: 'new' });
  });

  it('after being emptied, refuses everything fetched before', () => {
    const store = new MemoryEntityStore(1_000_000);
    const before = store.generation();
    void store.clear();
    expect(store.setNow('a', car('1'), {}, 60_000, before)).toBe(false);
    expect(store.setNow('a', car('1'), {}, 60_000, store.generation())).toBe(true);
  });

  it('is bounded by bytes: the least recently used entries go first', () => {
    const store = new MemoryEntityStore(20_000);
    const value = { text: 'x'.repeat(1_000) };
    for (let index = 0; index < 50; index++) store.setNow(`k${index}`, car(String(index)), value, 60_000, 0);
    expect(store.bytes).toBeLessThanOrEqual(20_000);
    expect(store.size).toBeLessThan(50);
    expect(store.get('k49')).toBeDefined();
    expect(store.get('k0')).toBeUndefined();
    // A dropped entry no longer counts for its entity.
    expect(store.invalidateNow([car('0')])).toBe(0);
  });

  it('lets an entry expire by its own maxAge', async () => {
    const store = new MemoryEntityStore(1_000_000);
    store.setNow('a', car('1'), {}, 30, 0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(store.get('a')).toBeUndefined();
  });
});
