import { composeServices } from '@apollo/composition';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { getOperationAST, parse } from 'graphql';
import { ANONYMOUS, type CallerIdentity, createLogger } from '@car-check/service-kit';
import { supergraphForGateway } from '../../auth/securityFeatures';
import { TokenRejected } from '../../auth/tokenVerifier';
import type { GatewayContext } from '../../context';
import { EXECUTOR_LAYERS } from '../../execution/layers';
import { PlanRunner } from '../../execution/planner';
import type { Sent, StreamEvent } from '../../subgraphClient/fetch';
import { servedSchemaOf } from '../../supergraph/servedSchema';
import { LiveSubscriptions } from '../liveSubscriptions';
import type { SubgraphSource, SubscriptionMessage, SubscriptionServices } from '../subscription';

/**
 * A subscription through the gateway's planner and executor, in process: the
 * `events` subgraph's stream is a fake the test feeds, and `cars` answers the
 * entity fetches of `rest`. Checks that entity fields of another subgraph are
 * resolved per event through the plan, that authorization masks fields per
 * event, the cursor, the reopening of a dropped stream after the last cursor,
 * the buffer bound, token revocation and the per-caller limit.
 */
const EVENTS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
  type Query { ping: Int }
  type Subscription { carChanged(after: String): CarChange! }
  type CarChange { kind: String! cursor: String! car: Car }
  type Car @key(fields: "id") { id: ID! }
`;
const CARS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@authenticated"])
  type Query { car(id: ID!): Car }
  type Car @key(fields: "id") { id: ID! model: String secret: String @authenticated }
`;
/** A car whose entity fetch waits until the test lets it answer (slowCarAnswers). */
const SLOW_CAR = 'car-slow';
const QUERY = 'subscription Watch { carChanged { kind cursor car { id model secret } } }';

/** A stream the test writes events into, as the subgraph's SSE would arrive. */
class FakeStream {
  readonly pending: StreamEvent[] = [];
  private wake?: () => void;
  private ended = false;

  push(event: StreamEvent): void {
    this.pending.push(event);
    this.wake?.();
  }

  /** The connection drops (the subgraph restarts). */
  drop(): void {
    this.ended = true;
    this.wake?.();
  }

  async *events(): AsyncGenerator<StreamEvent> {
    for (;;) {
      const next = this.pending.shift();
      if (next) yield next;
      else if (this.ended) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

function supergraphOf(events: string, cars: string): string {
  const composed = composeServices([
    { name: 'events', url: 'http://events/graphql', typeDefs: parse(events) },
    { name: 'cars', url: 'http://cars/graphql', typeDefs: parse(cars) },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  return supergraphForGateway(composed.supergraphSdl);
}

const next = (cursor: string, carId: string): StreamEvent => ({
  event: 'next',
  id: cursor,
  data: JSON.stringify({
    data: { carChanged: { __typename: 'CarChange', kind: 'UPDATED', cursor, car: { __typename: 'Car', id: carId } } },
  }),
});

describe('a subscription through the planner and executor', () => {
  const sdl = supergraphOf(EVENTS_SDL, CARS_SDL);
  const served = servedSchemaOf(sdl, 10);
  const runner = new PlanRunner(sdl, served.schema);
  const log = createLogger({ service: 'gateway-test', level: 'silent', pretty: false });

  let streams: FakeStream[];
  let opened: { query: string; lastEventId: string | undefined; context: GatewayContext }[];
  let revoked: boolean;
  let verified: number[];
  let entityFetches: number;
  let perCaller: ReadonlySet<string>;
  let slowCarAnswers: Promise<void>;
  let letSlowCarAnswer: () => void;

  const events: SubgraphSource = {
    process: async () => ({ errors: [{ message: 'not used' }] }),
    openStream: async (context, request, lastEventId): Promise<Sent> => {
      opened.push({ query: request.query, lastEventId, context });
      const stream = new FakeStream();
      streams.push(stream);
      return { kind: 'streaming', status: 200, events: stream.events(), close: () => stream.drop() };
    },
  };
  const cars: SubgraphSource = {
    process: async (options: GraphQLDataSourceProcessOptions) => {
      entityFetches += 1;
      const representations = (options.request.variables?.representations ?? []) as { id: string }[];
      if (representations.some(({ id }) => id === SLOW_CAR)) await slowCarAnswers;
      return { data: { _entities: representations.map(({ id }) => ({ model: `model ${id}`, secret: 's' })) } };
    },
    openStream: async () => ({ kind: 'unreachable' }),
  };
  const services: SubscriptionServices = {
    runner: () => runner,
    subgraphs: () => ({ events, cars }),
    served: () => served,
    layers: EXECUTOR_LAYERS,
    perCallerTypes: () => perCaller,
    verifier: {
      verify: async () => {
        verified.push(Date.now());
        if (revoked) throw new TokenRejected('revoked');
        return signedIn;
      },
    },
    log,
  };
  const signedIn: CallerIdentity = { ...ANONYMOUS, userId: '00000000-0000-4000-8000-000000000001' };

  beforeEach(() => {
    streams = [];
    opened = [];
    revoked = false;
    verified = [];
    entityFetches = 0;
    perCaller = new Set();
    slowCarAnswers = new Promise((resolve) => (letSlowCarAnswer = resolve));
  });

  const live = (settings: Partial<ConstructorParameters<typeof LiveSubscriptions>[0]> = {}) =>
    new LiveSubscriptions(
      { perCaller: 5, perProcess: 100, bufferEvents: 100, authRecheckMs: 50, reconnectForMs: 10_000, ...settings },
      services,
    );

  const request = (caller: CallerIdentity, extra: { token?: string; lastEventId?: string } = {}) => {
    const document = parse(QUERY);
    return {
      document,
      operation: getOperationAST(document)!,
      operationName: 'Watch',
      variables: {},
      source: QUERY,
      queryHash: 'hash',
      context: {
        requestId: 'request-1',
        caller,
        signal: new AbortController().signal,
        deadline: Number.POSITIVE_INFINITY,
        idempotencyKey: null,
        subgraphCalls: [],
      },
      ...extra,
    };
  };

  /** Reads messages until `count` have come or the subscription ends. */
  async function take(iterator: AsyncIterator<SubscriptionMessage>, count: number): Promise<SubscriptionMessage[]> {
    const messages: SubscriptionMessage[] = [];
    while (messages.length < count) {
      const result = await iterator.next();
      if (result.done) break;
      messages.push(result.value);
    }
    return messages;
  }

  const until = async (condition: () => boolean) => {
    const started = Date.now();
    while (!condition()) {
      if (Date.now() - started > 20_000) throw new Error('condition not met in 20 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('opens the primary fetch as a stream and resolves entity fields of another subgraph per event', async () => {
    const subscriptions = live();
    const subscription = subscriptions.open(request(signedIn), '127.0.0.1');
    const iterator = subscription[Symbol.asyncIterator]();
    await until(() => streams.length === 1);
    expect(opened[0]!.query).toContain('carChanged');
    expect(opened[0]!.query).not.toContain('model');
    expect(opened[0]!.lastEventId).toBeUndefined();
    streams[0]!.push(next('c1', 'car-1'));
    streams[0]!.push(next('c2', 'car-2'));
    const messages = await take(iterator, 2);
    expect(messages).toEqual([
      {
        cursor: 'c1',
        payload: {
          data: {
            carChanged: { kind: 'UPDATED', cursor: 'c1', car: { id: 'car-1', model: 'model car-1', secret: 's' } },
          },
          extensions: { cursor: 'c1' },
        },
      },
      {
        cursor: 'c2',
        payload: {
          data: {
            carChanged: { kind: 'UPDATED', cursor: 'c2', car: { id: 'car-2', model: 'model car-2', secret: 's' } },
          },
          extensions: { cursor: 'c2' },
        },
      },
    ]);
    // The subgraph instance shutting down completes its stream: the gateway reopens it after the last cursor.
    streams[0]!.push({ event: 'complete', data: '' });
    await until(() => streams.length === 2);
    expect(opened[1]!.lastEventId).toBe('c2');
    subscription.cancel();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(subscriptions.size).toBe(0);
  });

  it('passes on an error the subgraph says is final (OUT_OF_RANGE) and ends', async () => {
    const subscription = live().open(request(signedIn, { lastEventId: 'ancient' }), '127.0.0.1');
    const iterator = subscription[Symbol.asyncIterator]();
    await until(() => streams.length === 1);
    streams[0]!.push({
      event: 'next',
      data: JSON.stringify({ errors: [{ message: 'too old', extensions: { code: 'OUT_OF_RANGE' } }] }),
    });
    const messages = await take(iterator, 5);
    expect(messages).toMatchObject([{ final: true, payload: { errors: [{ extensions: { code: 'OUT_OF_RANGE' } }] } }]);
    expect(streams).toHaveLength(1);
  });

  it('plans the next event with the reloaded supergraph, keeping the subgraph stream', async () => {
    let current = runner;
    const reloaded = new PlanRunner(sdl, served.schema);
    const plannedByReloaded: unknown[] = [];
    const plan = reloaded.plan.bind(reloaded);
    reloaded.plan = (document, operationName) => {
      plannedByReloaded.push(operationName);
      return plan(document, operationName);
    };
    const subscriptions = new LiveSubscriptions(
      { perCaller: 5, perProcess: 100, bufferEvents: 100, authRecheckMs: 50, reconnectForMs: 10_000 },
      { ...services, runner: () => current },
    );
    const subscription = subscriptions.open(request(signedIn), '127.0.0.1');
    const iterator = subscription[Symbol.asyncIterator]();
    await until(() => streams.length === 1);
    streams[0]!.push(next('c1', 'car-1'));
    await take(iterator, 1);
    expect(plannedByReloaded).toEqual([]);
    current = reloaded;
    streams[0]!.push(next('c2', 'car-2'));
    const [message] = await take(iterator, 1);
    expect(message!.payload.data).toMatchObject({ carChanged: { car: { id: 'car-2', model: 'model car-2' } } });
    expect(plannedByReloaded).toContain('Watch');
    expect(opened).toHaveLength(1);
    subscription.cancel();
  });

  it('reopens the stream after the last cursor when a reload changes the primary fetch itself', async () => {
    // The events subgraph now resolves Car.model too: the planner asks it in the primary fetch.
    const v2 = supergraphOf(
      EVENTS_SDL.replace('["@key"]', '["@key", "@shareable"]').replace(
        'type Car @key(fields: "id") { id: ID! }',
        'type Car @key(fields: "id") { id: ID! model: String @shareable }',
      ),
      CARS_SDL.replace('model: String', 'model: String @shareable').replace(
        '["@key", "@authenticated"]',
        '["@key", "@authenticated", "@shareable"]',
      ),
    );
    const reloaded = new PlanRunner(v2, servedSchemaOf(v2, 10).schema);
    let current = runner;
    const subscription = new LiveSubscriptions(
      { perCaller: 5, perProcess: 100, bufferEvents: 100, authRecheckMs: 50, reconnectForMs: 10_000 },
      { ...services, runner: () => current },
    ).open(request(signedIn), '127.0.0.1');
    const iterator = subscription[Symbol.asyncIterator]();
    await until(() => streams.length === 1);
    streams[0]!.push(next('c1', 'car-1'));
    await take(iterator, 1);
    current = reloaded;
    // Found by the next event, which is not executed: it comes again through the new stream.
    streams[0]!.push(next('c2', 'car-2'));
    await until(() => streams.length === 2);
    expect(opened[1]!.lastEventId).toBe('c1');
    expect(opened[1]!.query).toContain('model');
    streams[1]!.push(next('c2', 'car-2'));
    const [message] = await take(iterator, 1);
    expect(message!.cursor).toBe('c2');
    subscription.cancel();
  });

  it('masks the fields the caller may not read in each event, as for a query', async () => {
    const subscription = live().open(request(ANONYMOUS), '127.0.0.1');
    const iterator = subscription[Symbol.asyncIterator]();
    await until(() => streams.length === 1);
    streams[0]!.push(next('c1', 'car-1'));
    const [message] = await take(iterator, 1);
    expect(message!.payload.data).toEqual({
      carChanged: { kind: 'UPDATED', cursor: 'c1', car: { id: 'car-1', model: 'model car-1', secret: null } },
    });
    expect(message!.payload.errors).toMatchObject([
      { path: ['carChanged', 'car', 'secret'], extensions: { code: 'UNAUTHENTICATED' } },
    ]);
    subscription.cancel();
  });

  it('reopens a dropped stream after the last cursor it received', async () => {
    const subscription = live().open(request(signedIn, { lastEventId: 'c0' }), '127.0.0.1');
    const iterator = subscription[Symbol.asyncIterator]();
    await until(() => streams.length === 1);
    expect(opened[0]!.lastEventId).toBe('c0');
    streams[0]!.push(next('c1', 'car-1'));
    await take(iterator, 1);
    streams[0]!.drop();
    await until(() => streams.length === 2);
    expect(opened[1]!.lastEventId).toBe('c1');
    streams[1]!.push(next('c2', 'car-2'));
    const [message] = await take(iterator, 1);
    expect(message!.cursor).toBe('c2');
    subscription.cancel();
  });

  it('ends a subscriber that falls behind with RESOURCE_EXHAUSTED and the last cursor it was given', async () => {
    const subscription = live({ bufferEvents: 2 }).open(request(signedIn), '127.0.0.1');
    const iterator = subscription[Symbol.asyncIterator]();
    await until(() => streams.length === 1);
    streams[0]!.push(next('c1', 'car-1'));
    expect((await take(iterator, 1))[0]!.cursor).toBe('c1');
    for (const cursor of ['c2', 'c3', 'c4']) streams[0]!.push(next(cursor, 'car-1'));
    // Nobody reads while three events arrive: the third overflows the buffer of two.
    await until(() => streams[0]!.pending.length === 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const rest = await take(iterator, 10);
    expect(rest).toEqual([
      {
        final: true,
        payload: {
          errors: [
            expect.objectContaining({
              extensions: expect.objectContaining({ code: 'RESOURCE_EXHAUSTED', cursor: 'c1' }),
            }),
          ],
        },
      },
    ]);
  });

  it('ends with UNAUTHENTICATED once the token is revoked', async () => {
    const subscription = live().open(request(signedIn, { token: 'token' }), '127.0.0.1');
    const iterator = subscription[Symbol.asyncIterator]();
    await until(() => streams.length === 1);
    streams[0]!.push(next('c1', 'car-1'));
    await take(iterator, 1);
    revoked = true;
    const [last] = await take(iterator, 5);
    expect(last).toMatchObject({
      final: true,
      payload: { errors: [{ extensions: { code: 'UNAUTHENTICATED', cursor: 'c1' } }] },
    });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    // The subgraph's stream was closed with it.
    await until(() => opened[0]!.context.signal.aborted);
  });

  it('refuses a caller past SUBSCRIPTIONS_PER_CALLER with 429 RESOURCE_EXHAUSTED', async () => {
    const subscriptions = live({ perCaller: 1 });
    const first = subscriptions.open(request(signedIn), '127.0.0.1');
    expect(() => subscriptions.open(request(signedIn), '127.0.0.1')).toThrow(
      expect.objectContaining({ status: 429, code: 'RESOURCE_EXHAUSTED' }),
    );
    first.cancel();
    // Its slot is free again once it ended.
    subscriptions.open(request(signedIn), '127.0.0.1').cancel();
  });

  it('ends every stream with UNAVAILABLE and its cursor on a graceful shutdown', async () => {
    const subscriptions = live();
    const subscription = subscriptions.open(request(signedIn), '127.0.0.1');
    const iterator = subscription[Symbol.asyncIterator]();
    await until(() => streams.length === 1);
    streams[0]!.push(next('c1', 'car-1'));
    await take(iterator, 1);
    const closing = subscriptions.close(10_000);
    const [last] = await take(iterator, 5);
    expect(last).toMatchObject({
      final: true,
      payload: { errors: [{ extensions: { code: 'UNAVAILABLE', cursor: 'c1' } }] },
    });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    await closing;
  });
  describe('identical subscriptions share one feed', () => {
    const viewer: CallerIdentity = { ...signedIn, scopes: ['car:read'] };
    const admin: CallerIdentity = { ...signedIn, userId: '00000000-0000-4000-8000-000000000002', scopes: ['admin'] };

    it('opens one upstream stream and runs the plan once per event for all members', async () => {
      const subscriptions = live();
      const members = [1, 2, 3].map(() => subscriptions.open(request(signedIn), '127.0.0.1'));
      const iterators = members.map((member) => member[Symbol.asyncIterator]());
      await until(() => streams.length === 1);
      expect(subscriptions.upstreams).toBe(1);
      streams[0]!.push(next('c1', 'car-1'));
      streams[0]!.push(next('c2', 'car-2'));
      const received = await Promise.all(iterators.map((iterator) => take(iterator, 2)));
      for (const messages of received) {
        expect(messages.map((message) => message.cursor)).toEqual(['c1', 'c2']);
        expect(messages[1]!.payload.data).toMatchObject({ carChanged: { car: { id: 'car-2', model: 'model car-2' } } });
      }
      // One entity fetch per event, not one per event and member; one message too (serialized once).
      expect(entityFetches).toBe(2);
      expect(received[1]![0]).toBe(received[0]![0]);
      expect(streams).toHaveLength(1);
      for (const member of members) member.cancel();
    });

    it('executes the next events while one is slow, and delivers them in the order of the stream', async () => {
      const subscriptions = live();
      const member = subscriptions.open(request(signedIn), '127.0.0.1');
      const iterator = member[Symbol.asyncIterator]();
      await until(() => streams.length === 1);
      streams[0]!.push(next('c1', SLOW_CAR));
      streams[0]!.push(next('c2', 'car-2'));
      streams[0]!.push(next('c3', 'car-3'));
      // The two fast events are fetched while the slow one waits (one at a time, they never would be).
      await until(() => entityFetches === 3);
      letSlowCarAnswer();
      const messages = await take(iterator, 3);
      expect(messages.map((message) => message.cursor)).toEqual(['c1', 'c2', 'c3']);
      member.cancel();
    });

    it('keeps the stream while a member is left, and closes it when the last one leaves', async () => {
      const subscriptions = live();
      const first = subscriptions.open(request(signedIn), '127.0.0.1');
      const second = subscriptions.open(request(signedIn), '127.0.0.1');
      const iterator = second[Symbol.asyncIterator]();
      await until(() => streams.length === 1);
      first.cancel();
      expect(opened[0]!.context.signal.aborted).toBe(false);
      streams[0]!.push(next('c1', 'car-1'));
      expect((await take(iterator, 1))[0]!.cursor).toBe('c1');
      second.cancel();
      await until(() => opened[0]!.context.signal.aborted);
      expect(subscriptions.upstreams).toBe(0);
      // The next identical subscription opens a stream of its own again.
      const third = subscriptions.open(request(signedIn), '127.0.0.1');
      await until(() => streams.length === 2);
      expect(subscriptions.upstreams).toBe(1);
      third.cancel();
    });

    it('ends a slow member with RESOURCE_EXHAUSTED while the others keep receiving every event', async () => {
      const subscriptions = live({ bufferEvents: 2 });
      const slow = subscriptions.open(request(signedIn), '127.0.0.1');
      const fast = subscriptions.open(request(signedIn), '127.0.0.1');
      const slowReader = slow[Symbol.asyncIterator]();
      const fastReader = fast[Symbol.asyncIterator]();
      await until(() => streams.length === 1);
      const fastReceived: string[] = [];
      for (const cursor of ['c1', 'c2', 'c3', 'c4']) {
        streams[0]!.push(next(cursor, 'car-1'));
        fastReceived.push(...(await take(fastReader, 1)).map((message) => message.cursor ?? ''));
      }
      expect(fastReceived).toEqual(['c1', 'c2', 'c3', 'c4']);
      // The slow one read nothing: the third event overflowed its buffer of two; it resumes from its own cursor.
      expect(await take(slowReader, 10)).toEqual([
        {
          final: true,
          payload: {
            errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'RESOURCE_EXHAUSTED' }) })],
          },
        },
      ]);
      expect(opened[0]!.context.signal.aborted).toBe(false);
      streams[0]!.push(next('c5', 'car-1'));
      expect((await take(fastReader, 1))[0]!.cursor).toBe('c5');
      fast.cancel();
    });

    it('never shares between different authorization scopes', async () => {
      const subscriptions = live();
      const anonymous = subscriptions.open(request(ANONYMOUS), '127.0.0.1');
      const reader = subscriptions.open(request(viewer), '127.0.0.1');
      const boss = subscriptions.open(request(admin), '127.0.0.1');
      const anonymousReader = anonymous[Symbol.asyncIterator]();
      const viewerReader = reader[Symbol.asyncIterator]();
      await until(() => streams.length === 3);
      expect(subscriptions.upstreams).toBe(3);
      expect(opened.map(({ context }) => context.caller.scopes)).toEqual([[], ['car:read'], ['admin']]);
      for (const stream of streams) stream.push(next('c1', 'car-1'));
      const [forAnonymous] = await take(anonymousReader, 1);
      const [forViewer] = await take(viewerReader, 1);
      expect(forAnonymous!.payload.errors).toMatchObject([{ extensions: { code: 'UNAUTHENTICATED' } }]);
      expect(forViewer!.payload.errors).toBeUndefined();
      for (const member of [anonymous, reader, boss]) member.cancel();
    });

    it('shares a selection of a per-caller type only between subscriptions of the same caller', async () => {
      perCaller = new Set(['Car']);
      const subscriptions = live();
      const sameScopes: CallerIdentity = { ...admin, userId: '00000000-0000-4000-8000-000000000003' };
      const members = [
        subscriptions.open(request(admin), '127.0.0.1'),
        subscriptions.open(request(admin), '127.0.0.1'),
        subscriptions.open(request(sameScopes), '127.0.0.1'),
      ];
      await until(() => streams.length === 2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(streams).toHaveLength(2);
      expect(opened.map(({ context }) => context.caller.userId)).toEqual([admin.userId, sameScopes.userId]);
      for (const member of members) member.cancel();
    });

    it('gives a subscription that resumes from a cursor a stream of its own', async () => {
      const subscriptions = live();
      const fresh = subscriptions.open(request(signedIn), '127.0.0.1');
      const resumed = subscriptions.open(request(signedIn, { lastEventId: 'c0' }), '127.0.0.1');
      await until(() => streams.length === 2);
      expect(opened.map(({ lastEventId }) => lastEventId).sort()).toEqual(['c0', undefined].sort());
      const again = subscriptions.open(request(signedIn, { lastEventId: 'c0' }), '127.0.0.1');
      await until(() => streams.length === 3);
      for (const member of [fresh, resumed, again]) member.cancel();
    });

    it('checks a token held by many subscriptions once per period, and ends them all when it is revoked', async () => {
      const subscriptions = live({ authRecheckMs: 100 });
      const members = [1, 2, 3, 4].map(() => subscriptions.open(request(signedIn, { token: 'shared' }), '127.0.0.1'));
      const iterators = members.map((member) => member[Symbol.asyncIterator]());
      await until(() => verified.length >= 3);
      // One verification per period for the four of them: never two in the same period (one per member would be).
      const gaps = verified.slice(1).map((at, index) => at - verified[index]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(50);
      expect(subscriptions.watchedTokens).toBe(1);
      revoked = true;
      const ends = await Promise.all(iterators.map((iterator) => take(iterator, 5)));
      for (const messages of ends) {
        expect(messages).toMatchObject([
          { final: true, payload: { errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] } },
        ]);
      }
      expect(subscriptions.watchedTokens).toBe(0);
      await until(() => opened[0]!.context.signal.aborted);
    });
  });
});
