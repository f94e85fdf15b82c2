import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ANONYMOUS, createLogger, verifySignedRequest } from '@car-check/service-kit';
import type { GatewayContext } from '../../context';
import { SubgraphDataSource } from '../dataSource';
import { fieldErrorsForFailedFetch } from '../../fieldErrors';

const log = createLogger({ service: 'test', level: 'silent', pretty: false });

/** A subgraph stand-in that drops the first `drops` connections, then answers. */
async function flakySubgraph(drops: number, answer: (body: string) => unknown = () => ({ data: { ok: true } })) {
  let seen = 0;
  const bodies: string[] = [];
  const headers: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    headers.push(req.headers);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString());
      if (seen++ < drops) return void req.socket.destroy();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer(bodies.at(-1)!)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return { url, bodies, headers, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const context = (overrides: Partial<GatewayContext> = {}): GatewayContext => ({
  requestId: 'r1',
  caller: ANONYMOUS,
  signal: new AbortController().signal,
  deadline: Date.now() + 10_000,
  idempotencyKey: null,
  subgraphCalls: [],
  ...overrides,
});

const fetchOf = (query: string, ctx: GatewayContext, variables?: Record<string, unknown>) =>
  ({ request: { query, variables }, context: ctx }) as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;

const source = (url: string, timeoutMs = 5_000) =>
  new SubgraphDataSource({ name: 'car', url: new URL(url), timeoutMs, log, signingSecret: Buffer.alloc(32, 1) });

describe('SubgraphDataSource', () => {
  it('retries a query once when the connection drops', async () => {
    const subgraph = await flakySubgraph(1);
    const response = await source(subgraph.url).process(fetchOf('query { ok }', context()));
    await subgraph.stop();
    expect(response).toEqual({ data: { ok: true } });
    expect(subgraph.bodies).toHaveLength(2);
  });

  it('never retries a mutation: it may have been applied', async () => {
    const subgraph = await flakySubgraph(1);
    const response = await source(subgraph.url).process(fetchOf('mutation { deleteCar(id: "1") }', context()));
    await subgraph.stop();
    expect(subgraph.bodies).toHaveLength(1);
    expect(response.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['deleteCar'], 'UNAVAILABLE']]);
  });

  it('signs the request’s deadline into each call, so the subgraph can stop when it passes', async () => {
    const subgraph = await flakySubgraph(0);
    const deadline = Date.now() + 3_000;
    await source(subgraph.url).process(fetchOf('query { ok }', context({ deadline })));
    await subgraph.stop();
    const sent = { method: 'POST', target: '/graphql', body: subgraph.bodies[0]! };
    const signed = await verifySignedRequest(subgraph.headers[0]!, sent, Buffer.alloc(32, 1), {
      audience: 'car',
      maxAgeMs: 30_000,
    });
    expect(signed.deadline).toBe(deadline);
  });

  it('fails the fields with DEADLINE_EXCEEDED once the request’s deadline passes', async () => {
    const slow = http.createServer(() => undefined);
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/graphql`;
    const controller = new AbortController();
    const ctx = context({ deadline: Date.now() + 200, signal: controller.signal });
    setTimeout(() => controller.abort(), 200).unref();
    const response = await source(slowUrl).process(fetchOf('query { cars { id } }', ctx));
    slow.closeAllConnections();
    await new Promise<void>((resolve) => slow.close(() => resolve()));
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['DEADLINE_EXCEEDED']);
  });

  it('a client that hangs up cancels the call', async () => {
    const slow = http.createServer(() => undefined);
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/graphql`;
    const controller = new AbortController();
    const pending = source(url).process(fetchOf('query { cars { id } }', context({ signal: controller.signal })));
    setTimeout(() => controller.abort(), 50).unref();
    const response = await pending;
    slow.closeAllConnections();
    await new Promise<void>((resolve) => slow.close(() => resolve()));
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['CANCELLED']);
  });
});

describe('outbound deduplication', () => {
  /** A subgraph that answers after `delayMs`, counting the requests it got. */
  async function slowSubgraph(delayMs: number) {
    let received = 0;
    const server = http.createServer((req, res) => {
      received += 1;
      req.resume();
      setTimeout(() => res.setHeader('content-type', 'application/json').end('{"data":{"ok":true}}'), delayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`),
      received: () => received,
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
  const viewer = { ...ANONYMOUS, userId: 'u1', scopes: ['car:read'] };

  it('shares an identical query fetch in flight between callers with the same identity, never across identities or for mutations', async () => {
    const subgraph = await slowSubgraph(100);
    const dedup = new SubgraphDataSource({
      name: 'car',
      url: subgraph.url,
      timeoutMs: 5_000,
      log,
      signingSecret: Buffer.alloc(32, 1),
      deduplicate: true,
    });
    const same = await Promise.all(
      [1, 2, 3].map(() => dedup.process(fetchOf('query { ok }', context({ caller: viewer })))),
    );
    expect(same).toEqual([{ data: { ok: true } }, { data: { ok: true } }, { data: { ok: true } }]);
    expect(subgraph.received()).toBe(1);
    await Promise.all([
      dedup.process(fetchOf('query { ok }', context({ caller: viewer }))),
      dedup.process(fetchOf('query { ok }', context({ caller: { ...viewer, scopes: ['car:read', 'car:write'] } }))),
      dedup.process(fetchOf('query { ok }', context({ caller: { ...viewer, userId: 'u2' } }))),
    ]);
    expect(subgraph.received()).toBe(4);
    await Promise.all([1, 2].map(() => dedup.process(fetchOf('mutation { ok }', context({ caller: viewer })))));
    expect(subgraph.received()).toBe(6);
    await dedup.close();
    await subgraph.stop();
  });

  it('a caller that hangs up stops waiting, and the others still get the answer', async () => {
    // The answer comes long after the caller leaves, however loaded the machine.
    const subgraph = await slowSubgraph(1_000);
    const dedup = new SubgraphDataSource({
      name: 'car',
      url: subgraph.url,
      timeoutMs: 5_000,
      log,
      signingSecret: Buffer.alloc(32, 1),
      deduplicate: true,
    });
    const leaving = new AbortController();
    const first = dedup.process(fetchOf('query { ok }', context({ caller: viewer, signal: leaving.signal })));
    const second = dedup.process(fetchOf('query { ok }', context({ caller: viewer })));
    setTimeout(() => leaving.abort(), 30).unref();
    expect((await first).errors?.map((e) => e.extensions?.code)).toEqual(['CANCELLED']);
    expect(await second).toEqual({ data: { ok: true } });
    expect(subgraph.received()).toBe(1);
    await dedup.close();
    await subgraph.stop();
  });
});

describe('merged entity fetches', () => {
  const CARS =
    'query Q__car__1($representations:[_Any!]!){_entities(representations:$representations){...on Car{brand}}}';
  const MODELS =
    'query Q__car__2($representations:[_Any!]!){_entities(representations:$representations){...on Car{model}}}';
  const merging = (url: string) =>
    new SubgraphDataSource({
      name: 'car',
      url: new URL(url),
      timeoutMs: 5_000,
      log,
      signingSecret: Buffer.alloc(32, 1),
      mergeFetches: { maxBodyBytes: 1_000_000 },
    });
  const cars = (n: number) => ({
    representations: Array.from({ length: n }, (_, i) => ({ __typename: 'Car', id: `${i}` })),
  });

  it("sends one request's fetches of one stage as one call, and gives each its own answer", async () => {
    const subgraph = await flakySubgraph(0, (body) => {
      const { variables } = JSON.parse(body) as { variables: Record<string, unknown[]> };
      return {
        data: { _0: variables.r0!.map(() => ({ brand: 'Renault' })), _1: variables.r1!.map(() => ({ model: 'Clio' })) },
        errors: [{ message: 'gone', path: ['_1', 0, 'model'], extensions: { code: 'NOT_FOUND' } }],
      };
    });
    const dataSource = merging(subgraph.url);
    const ctx = context();
    const [brands, models] = await Promise.all([
      dataSource.process(fetchOf(CARS, ctx, cars(2))),
      dataSource.process(fetchOf(MODELS, ctx, cars(1))),
    ]);
    await dataSource.close();
    await subgraph.stop();
    expect(subgraph.bodies).toHaveLength(1);
    expect(ctx.subgraphCalls).toHaveLength(1);
    expect(brands).toEqual({ data: { _entities: [{ brand: 'Renault' }, { brand: 'Renault' }] } });
    expect(models).toEqual({
      data: { _entities: [{ model: 'Clio' }] },
      errors: [{ message: 'gone', path: ['_entities', 0, 'model'], extensions: { code: 'NOT_FOUND' } }],
    });
  });

  it('fails each fetch of a merged call that could not be made on its own fields', async () => {
    const dead = http.createServer((req) => req.socket.destroy());
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const dataSource = merging(`http://127.0.0.1:${(dead.address() as AddressInfo).port}/graphql`);
    const ctx = context();
    const [brands, models] = await Promise.all([
      dataSource.process(fetchOf(CARS, ctx, cars(2))),
      dataSource.process(fetchOf(MODELS, ctx, cars(1))),
    ]);
    await dataSource.close();
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    expect(brands.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['_entities', 0, 'brand'], 'UNAVAILABLE'],
      [['_entities', 1, 'brand'], 'UNAVAILABLE'],
    ]);
    expect(models.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['_entities', 0, 'model'], 'UNAVAILABLE'],
    ]);
    // One call, retried once after the dropped connection: never one per fetch.
    expect(ctx.subgraphCalls).toHaveLength(1);
  });
});

describe('fieldErrorsForFailedFetch', () => {
  it('puts one error on each root field of a failed fetch', () => {
    const errors = fieldErrorsForFailedFetch('{ a: cars { id } me { id } __typename }', {}, 'UNAVAILABLE', 'down');
    expect(errors.map((e) => e.path)).toEqual([['a'], ['me']]);
  });

  it('puts one error on each entity of a failed entity fetch', () => {
    const query =
      'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Car { id } } }';
    const representations = [{ __typename: 'Car' }, { __typename: 'Car' }];
    const errors = fieldErrorsForFailedFetch(query, { representations }, 'DEADLINE_EXCEEDED', 'slow');
    expect(errors.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['_entities', 0, 'id'], 'DEADLINE_EXCEEDED'],
      [['_entities', 1, 'id'], 'DEADLINE_EXCEEDED'],
    ]);
  });
});
