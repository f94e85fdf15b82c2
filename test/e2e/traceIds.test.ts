import { tracingStatus } from '@car-check/service-kit';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { LogCapture } from '@car-check/test-support/logCapture';
import { waitFor } from '@car-check/test-support/waitFor';

// One backend is enough: trace ids do not depend on the database.
const backend = ONE_BACKEND;

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const TRACE_ID = /^[0-9a-f]{32}$/;

/**
 * The default set-up: no OTLP endpoint, so nothing is recorded (no tracer
 * provider, no context manager). Trace ids must still flow: from the client's
 * traceparent, or new at the gateway, to every subgraph, into every request's
 * log lines and error extensions. (test/e2e/tracing.test.ts records spans.)
 */
describe(`trace ids without recording (${backend})`, () => {
  let graph: TestGraph;
  const logs = { gateway: new LogCapture('gateway'), subgraphs: new LogCapture('subgraphs') };
  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true, gatewayLog: logs.gateway.log, subgraphLog: logs.subgraphs.log });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  const requestLines = async (requestId: string, services: string[]) => {
    const lines = () =>
      [...logs.gateway.entries(), ...logs.subgraphs.entries()].filter((entry) => entry.requestId === requestId);
    await waitFor(
      () => services.every((service) => lines().some((entry) => entry.service === service && entry.msg === 'request')),
      30_000,
      `${requestId}'s log lines`,
    );
    return lines();
  };

  it('records nothing', () => {
    expect(tracingStatus()).toMatchObject({ enabled: true, recording: false });
  });

  it("carries the client's trace id to every subgraph, its log lines and its errors", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await graph.query(
      `{ car(id: "${UNKNOWN}") { id } cars(first: 2) { edges { node { costCenter { code manager { username } } } } } }`,
      undefined,
      { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-request-id': 'ids-1' },
    );
    const requestId = response.headers.get('x-request-id')!;
    expect(response.errors?.map((error) => error.extensions)).toEqual([
      expect.objectContaining({ code: 'NOT_FOUND', requestId, traceId }),
    ]);
    const lines = await requestLines(requestId, ['gateway', 'car', 'cost-center', 'user']);
    expect(lines.filter((entry) => entry.traceId !== traceId)).toEqual([]);
  });

  it('gives a request without traceparent (or with a malformed one) a new trace id, passed on to the subgraphs', async () => {
    for (const [clientRequestId, headers] of [
      ['ids-2', {}],
      ['ids-3', { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }],
    ] as const) {
      const response = await graph.query(`{ car(id: "${UNKNOWN}") { id } }`, undefined, {
        ...headers,
        'x-request-id': clientRequestId,
      });
      const traceId = response.errors?.[0]?.extensions?.traceId;
      expect(traceId).toMatch(TRACE_ID);
      expect(traceId).not.toBe('0'.repeat(32));
      const lines = await requestLines(response.headers.get('x-request-id')!, ['gateway', 'car']);
      expect(lines.filter((entry) => entry.traceId !== traceId)).toEqual([]);
    }
  });

  it('stamps refusals before any subgraph too', async () => {
    const traceId = 'a3ce929d0e0e47364bf92f3577b34da6';
    const refused = await graph.query('{ car(', undefined, { traceparent: `00-${traceId}-00f067aa0ba902b7-00` });
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ARGUMENT', traceId });
  });
});
