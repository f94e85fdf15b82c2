import { ANONYMOUS, type CallerIdentity } from '@car-check/service-kit';
import type { GatewayContext } from '../../context';
import { EntityCache, type EntityFetch } from '../entityCache';
import type { CachePolicy } from '../policy';
import { MemoryEntityStore } from '../store';

const QUERY = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Car{model}}}';
const POLICIES = new Map<string, CachePolicy>([
  ['Car', { owner: 'car', maxAgeMs: 60_000, perCaller: false }],
  ['User', { owner: 'user', maxAgeMs: 60_000, perCaller: true }],
]);
const admin: CallerIdentity = { ...ANONYMOUS, userId: 'admin', scopes: ['car:read', 'user:read'] };
const viewer: CallerIdentity = { ...ANONYMOUS, userId: 'viewer', scopes: ['car:read'] };

const contextOf = (caller: CallerIdentity, readAfter?: Map<string, number>) =>
  ({ caller, readAfter, subgraphCalls: [] }) as unknown as GatewayContext;
const fetchOf = (ids: string[], type = 'Car'): EntityFetch => ({
  query: QUERY,
  variables: { representations: ids.map((id) => ({ __typename: type, id })) },
});

function setUp(applied: number | null = 10) {
  const store = new MemoryEntityStore(1_000_000);
  const owners = new Map([
    ['car', { applied }],
    ['user', { applied }],
  ]);
  const lookups: string[] = [];
  const cache = new EntityCache(store, () => POLICIES, owners, {
    onLookup: (type, hit) => lookups.push(`${type} ${hit ? 'hit' : 'miss'}`),
    onBypass: (reason) => lookups.push(`bypass ${reason}`),
  });
  /** Answers each representation it is asked for with its model, as the owner would. */
  const owner = (fetch: EntityFetch | null) => ({
    data: {
      _entities: ((fetch?.variables.representations ?? []) as { id: string }[]).map(({ id }) => ({ model: `m${id}` })),
    },
  });
  return { store, owners, cache, owner, lookups };
}

describe('the entity cache on an `_entities` fetch', () => {
  it('asks the owner only for what it has not kept, and answers in the order asked', async () => {
    const { cache, owner, lookups } = setUp();
    const first = (await cache.lookup('car', fetchOf(['1', '2']), contextOf(admin)))!;
    expect(first.remaining?.variables.representations).toHaveLength(2);
    first.complete(owner(first.remaining));
    const second = (await cache.lookup('car', fetchOf(['3', '2', '1']), contextOf(admin)))!;
    expect(second.remaining?.variables.representations).toEqual([{ __typename: 'Car', id: '3' }]);
    expect(second.complete(owner(second.remaining)).data).toEqual({
      _entities: [{ model: 'm3' }, { model: 'm2' }, { model: 'm1' }],
    });
    const third = (await cache.lookup('car', fetchOf(['1', '2', '3']), contextOf(admin)))!;
    expect(third.remaining).toBeNull();
    expect(lookups.filter((line) => line === 'Car hit')).toHaveLength(5);
  });

  it('renumbers the owner’s errors within the whole fetch and keeps no entity that has one', async () => {
    const { cache } = setUp();
    (await cache.lookup('car', fetchOf(['1']), contextOf(admin)))!.complete({ data: { _entities: [{ model: 'm1' }] } });
    const lookup = (await cache.lookup('car', fetchOf(['1', '2', '3']), contextOf(admin)))!;
    const answer = lookup.complete({
      data: { _entities: [null, { model: 'm3' }] },
      errors: [{ message: 'gone', path: ['_entities', 0], extensions: { code: 'NOT_FOUND' } }],
    });
    expect(answer.data).toEqual({ _entities: [{ model: 'm1' }, null, { model: 'm3' }] });
    expect(answer.errors?.[0]?.path).toEqual(['_entities', 1]);
    expect((await cache.lookup('car', fetchOf(['2']), contextOf(admin)))!.remaining).not.toBeNull();
    expect((await cache.lookup('car', fetchOf(['3']), contextOf(admin)))!.remaining).toBeNull();
  });

  it('never serves one kind of caller what another was answered, nor one caller another’s per-caller entity', async () => {
    const { cache, owner } = setUp();
    const asAdmin = (await cache.lookup('car', fetchOf(['1']), contextOf(admin)))!;
    asAdmin.complete(owner(asAdmin.remaining));
    expect((await cache.lookup('car', fetchOf(['1']), contextOf(viewer)))!.remaining).not.toBeNull();
    // Another admin (same scopes) shares the entry of a type cached by scope...
    expect(
      (await cache.lookup('car', fetchOf(['1']), contextOf({ ...admin, userId: 'admin2' })))!.remaining,
    ).toBeNull();
    // ...but not of a type cached per caller.
    const user = (await cache.lookup('user', fetchOf(['u'], 'User'), contextOf(admin)))!;
    user.complete(owner(user.remaining));
    expect((await cache.lookup('user', fetchOf(['u'], 'User'), contextOf(admin)))!.remaining).toBeNull();
    expect(
      (await cache.lookup('user', fetchOf(['u'], 'User'), contextOf({ ...admin, userId: 'admin2' })))!.remaining,
    ).not.toBeNull();
  });

  it('leaves alone what it may not keep: another owner’s type, a mixed fetch, an entity without an id, another subgraph', async () => {
    const { cache } = setUp();
    expect(await cache.lookup('car', fetchOf(['1'], 'CostCenter'), contextOf(admin))).toBeNull();
    expect(await cache.lookup('cost-center', fetchOf(['1']), contextOf(admin))).toBeNull();
    const mixed: EntityFetch = {
      query: QUERY,
      variables: {
        representations: [
          { __typename: 'Car', id: '1' },
          { __typename: 'Car', code: 'X' },
        ],
      },
    };
    expect(await cache.lookup('car', mixed, contextOf(admin))).toBeNull();
    expect(await cache.lookup('car', { query: '{ cars { id } }', variables: {} }, contextOf(admin))).toBeNull();
  });

  it('bypasses an owner whose changes it has not applied as far as the caller’s token, or not at all yet', async () => {
    const { cache, owners, lookups } = setUp();
    expect(await cache.lookup('car', fetchOf(['1']), contextOf(admin, new Map([['car', 11]])))).toBeNull();
    expect(await cache.lookup('car', fetchOf(['1']), contextOf(admin, new Map([['car', 10]])))).not.toBeNull();
    expect(await cache.lookup('car', fetchOf(['1']), contextOf(admin, new Map([['user', 99]])))).not.toBeNull();
    owners.set('car', { applied: null });
    expect(await cache.lookup('car', fetchOf(['1']), contextOf(admin))).toBeNull();
    expect(lookups).toContain('bypass consistency');
    expect(lookups).toContain('bypass invalidation-starting');
  });

  it('drops an entity on its owner’s event, and does not keep an answer fetched before it', async () => {
    const { cache, store, owner } = setUp();
    const lookup = (await cache.lookup('car', fetchOf(['1']), contextOf(admin)))!;
    // The change is applied while the owner is answering.
    await store.invalidate([{ owner: 'car', id: '1' }]);
    lookup.complete(owner(lookup.remaining));
    await new Promise((resolve) => setImmediate(resolve));
    expect((await cache.lookup('car', fetchOf(['1']), contextOf(admin)))!.remaining).not.toBeNull();
  });
});
