import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import express from 'express';
import { buildSchema, graphql } from 'graphql';
import { graphError } from '../../errors/catalog';
import { stopTracing, useInMemoryTracing } from '../../tracing/provider';
import { listen, type RunningServer } from '../http';
import { notFoundHandler } from '../graphqlHttp';
import { assignRequestId } from '../requestId';
import { activateRequestTrace, requestTraceId, traceHttpRequests, traceRootFields } from '../tracing';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const traceparent = `00-${TRACE}-${PARENT}-01`;

let exporter: InMemorySpanExporter;
beforeAll(() => {
  exporter = useInMemoryTracing();
});
afterAll(() => stopTracing());
beforeEach(() => exporter.reset());

describe('traceHttpRequests', () => {
  let server: RunningServer;
  beforeAll(async () => {
    const app = express();
    app.use(assignRequestId);
    app.get('/health', (_req, res) => res.json({ ok: true }));
    app.use(traceHttpRequests('car'));
    app.get('/internal/things/:id', (_req, res) => res.json({ traceId: requestTraceId(res) }));
    app.post('/graphql', express.json(), activateRequestTrace, async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      // The request's span is active in the handler, after body parsing and awaits.
      res.json({ active: trace.getActiveSpan()?.spanContext().traceId, traceId: requestTraceId(res) });
    });
    app.get('/boom', (_req, res) => res.status(500).json({}));
    notFoundHandler(app);
    server = await listen(app, '127.0.0.1', 0);
  });
  afterAll(() => server.close());

  const spans = () => exporter.getFinishedSpans();
  const settled = async (count: number) => {
    for (let i = 0; i < 100 && spans().length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    return spans();
  };

  it("continues the caller's trace in a SERVER span, active in the handler", async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent, 'x-request-id': 'req-1' },
      body: JSON.stringify({ query: '{ a }' }),
    });
    expect(await response.json()).toEqual({ active: TRACE, traceId: TRACE });
    const [span] = await settled(1);
    expect(span).toMatchObject({
      name: 'POST /graphql',
      kind: SpanKind.SERVER,
      parentSpanContext: { traceId: TRACE, spanId: PARENT, isRemote: true },
      // The span carries the server's own request id (the one it answered with), never the client's.
      attributes: {
        'service.name': 'car',
        'http.route': '/graphql',
        'http.response.status_code': 200,
        'car_check.request_id': response.headers.get('x-request-id'),
      },
    });
    expect(response.headers.get('x-request-id')).not.toBe('req-1');
  });

  it('names other spans by their route, never by the raw path; health checks are not traced', async () => {
    await fetch(`${server.url}/health`);
    const thing = await fetch(`${server.url}/internal/things/42`);
    expect(((await thing.json()) as { traceId: string }).traceId).toMatch(/^[0-9a-f]{32}$/);
    await fetch(`${server.url}/no/such/path`, { headers: { traceparent } });
    await fetch(`${server.url}/boom`);
    const recorded = await settled(3);
    expect(recorded.map((span) => [span.name, span.attributes['http.response.status_code'], span.status.code])).toEqual(
      [
        ['GET /internal/things/:id', 200, SpanStatusCode.UNSET],
        ['GET', 404, SpanStatusCode.UNSET],
        ['GET /boom', 500, SpanStatusCode.ERROR],
      ],
    );
  });

  it('puts the trace id in error bodies', async () => {
    const response = await fetch(`${server.url}/nowhere`, { headers: { traceparent } });
    expect(((await response.json()) as { errors: { extensions: object }[] }).errors[0]!.extensions).toMatchObject({
      code: 'NOT_FOUND',
      traceId: TRACE,
    });
  });
});

describe('traceRootFields', () => {
  const schema = buildSchema(
    'scalar _Any type Query { car(id: ID!): String, fails: String, _entities(representations: [_Any!]!): [String] } type Mutation { deleteCar: Boolean }',
  );
  const fields = schema.getQueryType()!.getFields();
  fields.car!.resolve = async (_source, args: { id: string }) => {
    // A span started inside the resolver (a Prisma query) is its child.
    trace.getTracer('prisma').startSpan('prisma:client:operation').end();
    return `car ${args.id}`;
  };
  fields.fails!.resolve = () => {
    throw graphError('NOT_FOUND', 'no such car');
  };
  fields._entities!.resolve = (_source, args: { representations: unknown[] }) =>
    args.representations.map(() => 'entity');
  traceRootFields(schema, 'car');
  // Wrapping is once per schema, however many servers serve it.
  traceRootFields(schema, 'car');

  const request = (query: string) => {
    const span = trace.getTracer('test').startSpan('POST /graphql', { kind: SpanKind.SERVER });
    return context.with(trace.setSpan(context.active(), span), async () => {
      const result = await graphql({ schema, source: query });
      span.end();
      return { result, span };
    });
  };

  it('makes one span per root field, active while it resolves, and none for nested fields', async () => {
    const { result, span } = await request('{ a: car(id: "1") b: car(id: "2") fails }');
    expect(result.data).toEqual({ a: 'car 1', b: 'car 2', fails: null });
    const recorded = exporter.getFinishedSpans();
    const byName = (name: string) => recorded.filter((s) => s.name === name);
    expect(byName('Query.car')).toHaveLength(2);
    for (const car of byName('Query.car')) {
      expect(car.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
      expect(car.attributes).toMatchObject({ 'service.name': 'car', 'graphql.field.name': 'car' });
    }
    const prisma = byName('prisma:client:operation');
    expect(prisma.map((s) => s.parentSpanContext?.spanId).sort()).toEqual(
      byName('Query.car')
        .map((s) => s.spanContext().spanId)
        .sort(),
    );
    // A client error is an outcome, not a failure of the service.
    expect(byName('Query.fails')[0]?.attributes['car_check.outcome']).toBe('NOT_FOUND');
    expect(byName('Query.fails')[0]?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('names the entity types asked of _entities', async () => {
    await request(
      '{ _entities(representations: [{ __typename: "Car", id: "1" }, { __typename: "Car", id: "2" }, { __typename: "CostCenter", id: "3" }]) }',
    );
    const [entities] = exporter.getFinishedSpans().filter((s) => s.name === 'Query._entities');
    expect(entities?.attributes).toMatchObject({
      'car_check.entity.count': 3,
      'car_check.entity.types': ['Car', 'CostCenter'],
    });
  });

  it('costs nothing under a request that is not recorded', async () => {
    const result = await graphql({ schema, source: '{ car(id: "3") }' });
    expect(result.data).toEqual({ car: 'car 3' });
    expect(exporter.getFinishedSpans().filter((s) => s.name === 'Query.car')).toEqual([]);
  });
});
