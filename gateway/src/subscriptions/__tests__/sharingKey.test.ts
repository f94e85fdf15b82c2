import { buildSchema, getOperationAST, parse } from 'graphql';
import { ANONYMOUS, type CallerIdentity } from '@car-check/service-kit';
import { sharingKey } from '../sharingKey';
import type { SubscriptionRequest } from '../subscription';

/** Which subscriptions may share a feed: the key is equal exactly when they may. */
const schema = buildSchema(`
  type Query { ping: Int }
  type Subscription { carChanged(ids: [ID!], after: String): CarChange! }
  type CarChange { cursor: String! car: Car }
  type Car { id: ID! model: String manager: User }
  type User { username: String email: String }
`);
const WATCH =
  'subscription Watch($ids: [ID!], $after: String) { carChanged(ids: $ids, after: $after) { cursor car { model } } }';
const WITH_MANAGER = 'subscription Watch { carChanged { cursor car { manager { username } } } }';

const viewer: CallerIdentity = { ...ANONYMOUS, userId: 'u-1', scopes: ['car:read'] };
const otherViewer: CallerIdentity = { ...viewer, userId: 'u-2' };
const admin: CallerIdentity = { ...ANONYMOUS, userId: 'u-3', scopes: ['admin', 'car:read'] };

function request(
  query: string,
  caller: CallerIdentity,
  variables: Record<string, unknown> = {},
  lastEventId?: string,
): SubscriptionRequest {
  const document = parse(query);
  return {
    document,
    operation: getOperationAST(document)!,
    operationName: 'Watch',
    variables,
    source: query,
    queryHash: `hash of ${query}`,
    context: {
      requestId: 'r',
      caller,
      signal: new AbortController().signal,
      deadline: Number.POSITIVE_INFINITY,
      idempotencyKey: null,
      subgraphCalls: [],
    },
    ...(lastEventId !== undefined ? { lastEventId } : {}),
  };
}

const NONE = new Set<string>();
const key = (req: SubscriptionRequest, perCaller: ReadonlySet<string> = NONE) => sharingKey(req, schema, perCaller);

describe('sharingKey', () => {
  it('is the same for the same document, variables (in any key order) and scopes, whoever the caller', () => {
    const one = key(request(WATCH, viewer, { ids: ['a'], after: null }));
    expect(one).not.toBeNull();
    expect(key(request(WATCH, otherViewer, { after: null, ids: ['a'] }))).toBe(one);
  });

  it('differs with the variables, the scopes, or being signed in', () => {
    const one = key(request(WATCH, viewer, { ids: ['a'] }));
    expect(key(request(WATCH, viewer, { ids: ['b'] }))).not.toBe(one);
    expect(key(request(WATCH, admin, { ids: ['a'] }))).not.toBe(one);
    expect(key(request(WATCH, { ...ANONYMOUS, scopes: ['car:read'] }, { ids: ['a'] }))).not.toBe(one);
  });

  it('adds the caller when the selection reaches a type that answers per caller', () => {
    const perCaller = new Set(['User']);
    expect(key(request(WITH_MANAGER, viewer), perCaller)).not.toBe(key(request(WITH_MANAGER, otherViewer), perCaller));
    expect(key(request(WITH_MANAGER, viewer), perCaller)).toBe(key(request(WITH_MANAGER, viewer), perCaller));
    // A selection that does not reach it is shared across callers of one scope.
    expect(key(request(WATCH, viewer), perCaller)).toBe(key(request(WATCH, otherViewer), perCaller));
  });

  it('is null for a subscription that resumes from a cursor: Last-Event-ID, or an after argument', () => {
    expect(key(request(WATCH, viewer, {}, 'c1'))).toBeNull();
    expect(key(request(WATCH, viewer, { after: 'c1' }))).toBeNull();
    expect(key(request('subscription Watch { carChanged(after: "c1") { cursor } }', viewer))).toBeNull();
    expect(key(request('subscription Watch { carChanged(after: null) { cursor } }', viewer))).not.toBeNull();
  });
});
