import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { context as traceContext, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import {
  ANONYMOUS,
  createLogger,
  extractTraceContext,
  startRequestSpan,
  stopTracing,
  tracerFor,
  useInMemoryTracing,
  verifySignedRequest,
} from '@car-check/service-kit';
import type { GatewayContext } from '../../context';
import { SubgraphDataSource } from '../dataSource';

const log = createLogger({ service: 'test', level: 'silent', pretty: false });
const SECRET = Buffer.alloc(32, 1);

/** A subgraph stand-in that records what it was sent and answers after `delayMs`. */
async function subgraph(delayMs = 0) {
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      setTimeout(() => res.setHeader('content-type', 'application/json').end('{"data":{"ok":true}}'), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A request's context as handleGraphQL builds it, in the trace of `traceparent` (or a new one). */
function requestContext(traceparent?: string, caller = ANONYMOUS): GatewayContext {
  const parent = extractTraceContext(traceparent ? { traceparent } : {});
  const span = startRequestSpan(tracerFor('gateway'), 'POST /graphql', SpanKind.SERVER, parent);
  return {
    requestId: 'r1',
    traceId: span.spanContext().traceId,
    traceContext: trace.setSpan(parent, span),
    caller,
    signal: new AbortController().signal,
    deadline: Date.now() + 10_000,
    idempotencyKey: null,
    subgraphCalls: [],
  };
}

const fetchOf = (query: string, ctx: GatewayContext) =>
  ({
    request: { query, operationName: 'Op__car__0' },
    context: ctx,
  }) as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;

const traceparentOf = (traceId: string, spanId: string, flags: '00' | '01') => `00-${traceId}-${spanId}-${flags}`;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('subgraph fetches continue the request’s trace', () => {
  afterEach(() => stopTracing());

  it('with nothing recording: the traceparent names the request’s trace, unsigned, and the signature still holds', async () => {
    const car = await subgraph();
    const source = new SubgraphDataSource({
      name: 'car',
      url: new URL(car.url),
      timeoutMs: 5_000,
      log,
      signingSecret: SECRET,
    });
    const ctx = requestContext(traceparentOf(TRACE, '00f067aa0ba902b7', '01'));
    expect(await source.process(fetchOf('query { ok }', ctx))).toEqual({ data: { ok: true } });
    const [sent] = car.received;
    const requestSpan = trace.getSpanContext(ctx.traceContext!)!;
    expect(sent!.headers.traceparent).toBe(traceparentOf(TRACE, requestSpan.spanId, '00'));
    const signed = await verifySignedRequest(
      sent!.headers,
      { method: 'POST', target: '/graphql', body: sent!.body },
      SECRET,
      { audience: 'car', maxAgeMs: 30_000 },
    );
    expect(signed.requestId).toBe('r1');
    await source.close();
    await car.stop();
  });

  it('while recording: one CLIENT span per fetch, its id in the traceparent', async () => {
    const exporter = useInMemoryTracing();
    const car = await subgraph();
    const source = new SubgraphDataSource({
      name: 'car',
      url: new URL(car.url),
      timeoutMs: 5_000,
      log,
      signingSecret: SECRET,
    });
    const ctx = requestContext(traceparentOf(TRACE, '00f067aa0ba902b7', '01'));
    // Apollo Gateway's gateway.fetch is the active span when a data source is called.
    const gatewayFetch = trace.getTracer('apollo/gateway-js').startSpan('gateway.fetch', {}, ctx.traceContext);
    await traceContext.with(trace.setSpan(ctx.traceContext!, gatewayFetch), () =>
      source.process(fetchOf('query { ok }', ctx)),
    );
    gatewayFetch.end();
    const [fetch] = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(fetch).toMatchObject({
      name: 'subgraph car',
      parentSpanContext: { spanId: gatewayFetch.spanContext().spanId },
      attributes: {
        'car_check.subgraph': 'car',
        'car_check.outcome': 'OK',
        'http.response.status_code': 200,
        'graphql.operation.name': 'Op__car__0',
        'graphql.operation.type': 'query',
      },
    });
    expect(car.received[0]!.headers.traceparent).toBe(traceparentOf(TRACE, fetch!.spanContext().spanId, '01'));
    await source.close();
    await car.stop();
  });

  it('a deduplicated fetch carries the first caller’s traceparent; the others’ spans are marked and linked to it', async () => {
    const exporter = useInMemoryTracing();
    const car = await subgraph(100);
    const source = new SubgraphDataSource({
      name: 'car',
      url: new URL(car.url),
      timeoutMs: 5_000,
      log,
      signingSecret: SECRET,
      deduplicate: true,
    });
    const viewer = { ...ANONYMOUS, userId: 'u1', scopes: ['car:read'] };
    const contexts = [requestContext(undefined, viewer), requestContext(undefined, viewer)];
    await Promise.all(
      contexts.map((ctx) => traceContext.with(ctx.traceContext!, () => source.process(fetchOf('query { ok }', ctx)))),
    );
    expect(car.received).toHaveLength(1);
    const fetches = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);
    const [first, second] = contexts.map((ctx) => fetches.find((span) => span.spanContext().traceId === ctx.traceId)!);
    expect(car.received[0]!.headers.traceparent).toBe(
      traceparentOf(first!.spanContext().traceId, first!.spanContext().spanId, '01'),
    );
    expect(first!.attributes['car_check.deduplicated']).toBeUndefined();
    expect(second!.attributes['car_check.deduplicated']).toBe(true);
    expect(second!.links.map((link) => link.context.spanId)).toEqual([first!.spanContext().spanId]);
    await source.close();
    await car.stop();
  });

  it('health checks and schema loads (no request) carry no traceparent', async () => {
    const car = await subgraph();
    const source = new SubgraphDataSource({
      name: 'car',
      url: new URL(car.url),
      timeoutMs: 5_000,
      log,
      signingSecret: SECRET,
    });
    await traceContext.with(ROOT_CONTEXT, () =>
      source.process({
        request: { query: '{ _service { sdl } }' },
        context: {},
      } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>),
    );
    expect(car.received[0]!.headers.traceparent).toBeUndefined();
    await source.close();
    await car.stop();
  });
});
