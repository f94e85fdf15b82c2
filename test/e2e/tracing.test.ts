import { SpanKind } from '@opentelemetry/api';
import type { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { stopTracing, useInMemoryTracing } from '@car-check/service-kit';
import { BACKENDS } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { LogCapture } from '@car-check/test-support/logCapture';
import { waitFor } from '@car-check/test-support/waitFor';

// One backend is enough: what is traced does not depend on the database.
const backend = BACKENDS.includes('pglite') ? 'pglite' : BACKENDS[0]!;

const TRACE_ID = /^[0-9a-f]{32}$/;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
// One query that needs all three subgraphs: cars (car), their cost centers (cost-center), their managers (user).
const THREE_SUBGRAPHS =
  'query Traced { cars(first: 3) { edges { node { brand costCenter { code manager { username } } } } } }';

/** A client's own trace: a fresh trace id and the id of the client's span. */
function clientTrace(sampled = true) {
  const hex = (bytes: number) =>
    Buffer.from(Array.from({ length: bytes }, () => Math.floor(Math.random() * 256))).toString('hex');
  const traceId = hex(16);
  const parentId = hex(8);
  return { traceId, parentId, traceparent: `00-${traceId}-${parentId}-${sampled ? '01' : '00'}` };
}

describe(`tracing: one trace from the client through the gateway to every subgraph (${backend})`, () => {
  let graph: TestGraph;
  let exporter: InMemorySpanExporter;
  const logs = { gateway: new LogCapture('gateway'), subgraphs: new LogCapture('subgraphs') };

  beforeAll(async () => {
    exporter = useInMemoryTracing();
    graph = await startGraph(backend, { seed: true, gatewayLog: logs.gateway.log, subgraphLog: logs.subgraphs.log });
    // Signs in and verifies the token once, so the traced requests below are only themselves.
    await graph.query('{ me { id } }');
  });
  afterAll(async () => {
    await graph?.stop();
    await stopTracing();
  });

  const spansOf = (traceId: string) =>
    exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
  const serviceOf = (span: ReadableSpan) => span.attributes['service.name'];
  /** The gateway's server span of a request, once it has ended (it ends after the answer is written). */
  const gatewaySpan = async (traceId: string, requestId: string) => {
    const find = () =>
      spansOf(traceId).find(
        (span) =>
          span.kind === SpanKind.SERVER &&
          serviceOf(span) === 'gateway' &&
          span.attributes['car_check.request_id'] === requestId,
      );
    await waitFor(() => find() !== undefined, 30_000, `the gateway's span of ${requestId}`);
    return find()!;
  };
  /** Whether `ancestor` is `span` or one of its ancestors, among `spans`. */
  const descendsFrom = (span: ReadableSpan, ancestor: ReadableSpan, spans: ReadableSpan[]) => {
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    for (let at: ReadableSpan | undefined = span; at; at = byId.get(at.parentSpanContext?.spanId ?? '')) {
      if (at === ancestor) return true;
    }
    return false;
  };

  it("continues the client's traceparent: the gateway's request and fetches, and each subgraph's request, resolvers and queries, in one trace", async () => {
    const client = clientTrace();
    exporter.reset();
    const sent = Date.now();
    const response = await graph.query(THREE_SUBGRAPHS, undefined, {
      traceparent: client.traceparent,
      'x-request-id': 'traced-1',
    });
    expect(response.errors).toBeUndefined();
    // The server's own request id (the client's is kept apart, as clientRequestId).
    const requestId = response.headers.get('x-request-id')!;
    const request = await gatewaySpan(client.traceId, requestId);
    // Each subgraph's server span ends when its answer is written, which the gateway has read by now.
    await waitFor(
      () => spansOf(client.traceId).filter((span) => span.kind === SpanKind.SERVER).length >= 4,
      30_000,
      'the subgraphs’ spans',
    );

    // Everything recorded since the request was sent is in the client's trace.
    const since = exporter
      .getFinishedSpans()
      .filter((span) => span.startTime[0] * 1000 + span.startTime[1] / 1e6 >= sent);
    expect(since.filter((span) => span.spanContext().traceId !== client.traceId).map((span) => span.name)).toEqual([]);
    const spans = spansOf(client.traceId);

    // The gateway's request span is the child of the client's span.
    expect(request.name).toBe('POST /graphql');
    expect(request.parentSpanContext).toMatchObject({
      traceId: client.traceId,
      spanId: client.parentId,
      isRemote: true,
    });
    expect(request.attributes).toMatchObject({
      'http.response.status_code': 200,
      'graphql.operation.name': 'Traced',
      'car_check.outcome': 'OK',
    });
    // Apollo Gateway's own spans are part of it.
    for (const name of ['gateway.request', 'gateway.execute', 'gateway.fetch']) {
      expect(spans.some((span) => span.name === name && descendsFrom(span, request, spans))).toBe(true);
    }

    // One fetch span per subgraph call, under the request.
    const fetches = spans.filter(
      (span) =>
        span.kind === SpanKind.CLIENT &&
        serviceOf(span) === 'gateway' &&
        span.attributes['car_check.subgraph'] !== undefined,
    );
    expect(new Set(fetches.map((span) => span.attributes['car_check.subgraph']))).toEqual(
      new Set(['car', 'cost-center', 'user']),
    );
    for (const fetch of fetches) {
      expect(descendsFrom(fetch, request, spans)).toBe(true);
      expect(fetch.attributes).toMatchObject({ 'car_check.outcome': 'OK', 'http.response.status_code': 200 });
    }

    // Each subgraph continued the trace: its request span's parent is one of the gateway's fetches to it.
    for (const subgraph of ['car', 'cost-center', 'user']) {
      const calls = fetches.filter((span) => span.attributes['car_check.subgraph'] === subgraph);
      // (The user service may also have answered a token status check for this request: a span of its own, POST /internal/token-status.)
      const served = spans.filter(
        (span) => span.kind === SpanKind.SERVER && serviceOf(span) === subgraph && span.name === 'POST /graphql',
      );
      expect([subgraph, served.length]).toEqual([subgraph, calls.length]);
      for (const server of served) {
        expect(calls.map((call) => call.spanContext().spanId)).toContain(server.parentSpanContext?.spanId);
        expect(server.parentSpanContext?.isRemote).toBe(true);
        expect(server.attributes).toMatchObject({
          'car_check.request_id': requestId,
          'car_check.outcome': 'OK',
          'graphql.operation.type': 'query',
        });
      }
      // Its root resolvers, and the Prisma queries they made (driver adapters included), are under its request span.
      const resolvers = spans.filter(
        (span) =>
          serviceOf(span) === subgraph &&
          span.kind === SpanKind.INTERNAL &&
          served.some((server) => descendsFrom(span, server, spans)),
      );
      expect(resolvers.map((span) => span.name)).toContain(subgraph === 'car' ? 'Query.cars' : 'Query._entities');
      const queries = spans.filter(
        (span) => span.name === 'prisma:client:db_query' && served.some((server) => descendsFrom(span, server, spans)),
      );
      expect(queries.length).toBeGreaterThan(0);
      expect(queries.every((span) => resolvers.some((resolver) => descendsFrom(span, resolver, spans)))).toBe(true);
    }
    const entities = spans.find((span) => span.name === 'Query._entities' && serviceOf(span) === 'user');
    expect(entities?.attributes).toMatchObject({
      'car_check.entity.types': ['User'],
      'car_check.entity.count': expect.any(Number),
    });

    // Every log line of the request, in every service, names its trace.
    const lines = [...logs.gateway.entries(), ...logs.subgraphs.entries()].filter(
      (entry) => entry.requestId === requestId,
    );
    expect(new Set(lines.map((entry) => entry.service))).toEqual(new Set(['gateway', 'car', 'cost-center', 'user']));
    expect(lines.filter((entry) => entry.traceId !== client.traceId)).toEqual([]);
  });

  it("puts the gateway's token check in the request's trace", async () => {
    const client = clientTrace();
    // A token the gateway has not seen: it asks the user service about it, inside the request.
    const token = await graph.login('manager');
    const response = await graph.anonymous('{ me { username } }', undefined, {
      traceparent: client.traceparent,
      authorization: `Bearer ${token}`,
      'x-request-id': 'traced-2',
    });
    expect(response.data).toEqual({ me: { username: 'manager' } });
    const request = await gatewaySpan(client.traceId, response.headers.get('x-request-id')!);
    const check = () => spansOf(client.traceId).find((span) => span.name === 'POST /internal/token-status');
    await waitFor(() => check() !== undefined, 30_000, 'the token status span');
    const spans = spansOf(client.traceId);
    const status = spans.find((span) => span.name === 'token status')!;
    expect(status).toMatchObject({ kind: SpanKind.CLIENT, attributes: { 'car_check.outcome': 'OK' } });
    expect(descendsFrom(status, request, spans)).toBe(true);
    expect(check()).toMatchObject({
      kind: SpanKind.SERVER,
      attributes: { 'service.name': 'user', 'http.route': '/internal/token-status' },
    });
    expect(check()!.parentSpanContext?.spanId).toBe(status.spanContext().spanId);
  });

  it("puts the client's trace id next to the request id in every error", async () => {
    // A field error from a subgraph, passed on by the gateway.
    const notFound = clientTrace();
    const missing = await graph.query(`{ car(id: "${UNKNOWN}") { id } }`, undefined, {
      traceparent: notFound.traceparent,
    });
    expect(missing.errors?.[0]?.extensions).toMatchObject({
      code: 'NOT_FOUND',
      serviceName: 'car',
      requestId: missing.headers.get('x-request-id'),
      traceId: notFound.traceId,
    });

    // A refusal by the gateway itself, before any subgraph.
    const refused = clientTrace();
    const syntax = await graph.query('{ car(', undefined, { traceparent: refused.traceparent });
    expect(syntax.status).toBe(400);
    expect(syntax.errors?.[0]?.extensions).toMatchObject({
      code: 'INVALID_ARGUMENT',
      requestId: syntax.headers.get('x-request-id'),
      traceId: refused.traceId,
    });

    // A refusal before authentication (a forged token), and an unknown path.
    const forged = clientTrace();
    const unauthenticated = await graph.anonymous('{ me { id } }', undefined, {
      traceparent: forged.traceparent,
      authorization: 'Bearer not.a.jwt',
    });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', traceId: forged.traceId });
    const lost = clientTrace();
    const unknownPath = await fetch(new URL('/nowhere', graph.gatewayUrl), {
      headers: { traceparent: lost.traceparent },
    });
    expect(unknownPath.status).toBe(404);
    expect(((await unknownPath.json()) as { errors: { extensions: object }[] }).errors[0]!.extensions).toMatchObject({
      code: 'NOT_FOUND',
      traceId: lost.traceId,
    });
  });

  it('starts a new trace for a request without traceparent, and names it in the errors, the logs and every subgraph', async () => {
    const response = await graph.query(
      `{ car(id: "${UNKNOWN}") { id } cars(first: 1) { edges { node { costCenter { code } } } } }`,
      undefined,
      { 'x-request-id': 'untraced-1' },
    );
    const traceId = response.errors?.[0]?.extensions?.traceId as string;
    expect(traceId).toMatch(TRACE_ID);
    expect(traceId).not.toBe('0'.repeat(32));

    const requestId = response.headers.get('x-request-id')!;
    const request = await gatewaySpan(traceId, requestId);
    expect(request.parentSpanContext).toBeUndefined();
    await waitFor(
      () => spansOf(traceId).filter((span) => span.kind === SpanKind.SERVER).length >= 3,
      30_000,
      'the subgraphs’ spans',
    );
    const servedBy = spansOf(traceId)
      .filter((span) => span.kind === SpanKind.SERVER && span.name === 'POST /graphql')
      .map(serviceOf);
    expect(new Set(servedBy)).toEqual(new Set(['gateway', 'car', 'cost-center']));

    const lines = [...logs.gateway.entries(), ...logs.subgraphs.entries()].filter(
      (entry) => entry.requestId === requestId,
    );
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((entry) => entry.traceId !== traceId)).toEqual([]);

    // Another request is another trace.
    const again = await graph.query(`{ car(id: "${UNKNOWN}") { id } }`);
    expect(again.errors?.[0]?.extensions?.traceId).toMatch(TRACE_ID);
    expect(again.errors?.[0]?.extensions?.traceId).not.toBe(traceId);
  });

  it.each([
    ['upper-case hex', (t: ReturnType<typeof clientTrace>) => t.traceparent.toUpperCase()],
    ['an all-zero trace id', () => `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['extra fields on version 00', (t: ReturnType<typeof clientTrace>) => `${t.traceparent}-extra`],
    [
      'two traceparents in one header',
      (t: ReturnType<typeof clientTrace>) => `${t.traceparent}, ${clientTrace().traceparent}`,
    ],
    ['garbage', () => 'not a traceparent'],
  ])('a malformed traceparent (%s) starts a new trace instead of failing', async (_what, malformed) => {
    const client = clientTrace();
    const header = malformed(client);
    const response = await graph.query(`{ car(id: "${UNKNOWN}") { id } }`, undefined, {
      traceparent: header,
      'x-request-id': `malformed-${_what.length}`,
    });
    expect(response.status).toBe(294);
    const traceId = response.errors?.[0]?.extensions?.traceId as string;
    expect(traceId).toMatch(TRACE_ID);
    expect(traceId).not.toBe(client.traceId);
    expect(header.toLowerCase()).not.toContain(traceId);
    const request = await gatewaySpan(traceId, response.headers.get('x-request-id')!);
    expect(request.parentSpanContext).toBeUndefined();
  });

  it("keeps the client's decision not to sample: nothing recorded, the trace id still in errors and logs", async () => {
    const client = clientTrace(false);
    exporter.reset();
    const response = await graph.query(`{ car(id: "${UNKNOWN}") { id } }`, undefined, {
      traceparent: client.traceparent,
      'x-request-id': 'not-sampled-1',
    });
    expect(response.errors?.[0]?.extensions?.traceId).toBe(client.traceId);
    const requestId = response.headers.get('x-request-id')!;
    await waitFor(
      () => logs.subgraphs.entries().some((entry) => entry.requestId === requestId && entry.msg === 'request'),
      30_000,
      'the car subgraph’s log line',
    );
    expect(spansOf(client.traceId)).toEqual([]);
    const lines = logs.subgraphs.entries().filter((entry) => entry.requestId === requestId);
    expect(lines.every((entry) => entry.traceId === client.traceId)).toBe(true);
  });
});
