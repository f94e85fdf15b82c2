import type { ApolloGateway } from '@apollo/gateway';
import type { Request, Response } from 'express';
import { buildSchema, parse } from 'graphql';
import { z } from 'zod';
import { ANONYMOUS, createLogger, SIGNATURE_HEADER } from '@car-check/service-kit';
import { GATEWAY_ENV, loadGatewayConfig } from '../config';
import type { GatewayContext } from '../context';
import { type ExecutionRequest, type ExecutorLayer, layeredGateway } from '../execution/executor';
import { EXECUTOR_LAYERS } from '../execution/layers';
import { readCostModel } from '../limits/costModel';
import { Refusal } from '../pipeline/refusal';
import {
  type Answer,
  defineStage,
  type GatewayRequest,
  runStages,
  StageList,
  type StageServices,
} from '../pipeline/stage';
import { STAGES } from '../pipeline/stages';
import { subgraphClient } from '../subgraphClient/client';
import type { ClientLayer, Send, SubgraphFetch } from '../subgraphClient/fetch';
import { CLIENT_LAYERS } from '../subgraphClient/layers';

const log = createLogger({ service: 'test', level: 'silent', pretty: false });
const ANSWER: Answer = {
  kind: 'shared',
  answer: {
    status: 200,
    headers: [],
    body: '{"data":{}}',
    bytes: Buffer.from('{"data":{}}'),
    outcome: 'OK',
    errors: 0,
  },
};

/** A request as handleGraphQL hands it to the first stage (only what these stages read). */
const request = (): GatewayRequest => ({
  http: { req: {} as Request, res: {} as Response, url: new URL('http://gateway/graphql') },
  started: performance.now(),
  requestId: 'r1',
  address: '127.0.0.1',
  token: undefined,
});

// The stages below use no service; a test that needs one would pass its own.
const services = {} as StageServices;

/** A stage that records that it ran, then hands on (or answers, when last). */
const recording = (name: string, seen: string[], answers = false) =>
  defineStage({
    name,
    env: {},
    configure: () => ({}),
    create: () => async (_request, next) => {
      seen.push(name);
      return answers ? ANSWER : next();
    },
  });

describe('the request path is a list of stages', () => {
  // An admission rule in one file: its variable, its configuration, its refusal.
  const businessHours = defineStage({
    name: 'businessHours',
    env: { CLOSED_HOURS: z.coerce.number().int().min(0).max(24).default(0) },
    configure: (env) => ({ closedHours: env.CLOSED_HOURS }),
    create: (config) => async (_request, next) => {
      if (config.closedHours >= 24) throw new Refusal(503, 'UNAVAILABLE', 'Closed all day.');
      return next();
    },
  });

  it('runs an added stage in its place, with the configuration it declares', async () => {
    const seen: string[] = [];
    const list = StageList.empty()
      .add(recording('first', seen))
      .add(businessHours)
      .add(recording('last', seen, true));
    const config = list.readConfig({ CLOSED_HOURS: '3' }, { production: false });
    expect(config.closedHours).toBe(3);
    expect(Object.keys(list.env)).toEqual(['CLOSED_HOURS']);
    const handlers = list.create(config, services).map((stage) => stage.handle);
    expect(await runStages(handlers, request())).toBe(ANSWER);
    expect(seen).toEqual(['first', 'last']);
  });

  it('stops at the first stage that refuses', async () => {
    const seen: string[] = [];
    const list = StageList.empty()
      .add(recording('first', seen))
      .add(businessHours)
      .add(recording('last', seen, true));
    const handlers = list
      .create(list.readConfig({ CLOSED_HOURS: '24' }, { production: false }), services)
      .map((stage) => stage.handle);
    await expect(runStages(handlers, request())).rejects.toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    expect(seen).toEqual(['first']);
  });

  it('refuses a stage’s invalid variable by name, and a second stage of the same name', () => {
    const list = StageList.empty().add(businessHours);
    expect(() => list.readConfig({ CLOSED_HOURS: '25' }, { production: false })).toThrow(/CLOSED_HOURS/);
    expect(() => list.add(businessHours)).toThrow(/two entries are named businessHours/);
  });

  it('keeps the gateway’s stages in order, each variable under its name', () => {
    expect(STAGES.entries.map((stage) => stage.name)).toEqual([
      'admission',
      'landingPage',
      'intake',
      'authenticate',
      'idempotencyKey',
      'operationText',
      'documents',
      'subscribe',
      'deadline',
      'consistency',
      'defer',
      'inflight',
      'execute',
    ]);
    expect(Object.keys(GATEWAY_ENV).sort()).toEqual(
      [
        'GATEWAY_PORT',
        'HOST',
        'NODE_ENV',
        'LOG_LEVEL',
        'LOG_PRETTY',
        'SUPERGRAPH_PATH',
        'SUPERGRAPH_URL',
        'SUPERGRAPH_POLL_MS',
        'SUBGRAPH_TIMEOUT_MS',
        'INTROSPECTION',
        'LANDING_PAGE',
        'BODY_LIMIT',
        'JWKS_URL',
        'TOKEN_STATUS_URL',
        'JWT_ISSUER',
        'JWT_AUDIENCE',
        'TOKEN_STATUS_CACHE_MS',
        'CORS_ORIGINS',
        'TRUSTED_DOCUMENTS',
        'TRUSTED_DOCUMENTS_ONLY',
        'WEB_DIST',
        'MAX_QUERY_DEPTH',
        'MAX_QUERY_ALIASES',
        'MAX_QUERY_FIELDS',
        'MAX_QUERY_COST',
        'MAX_QUERY_TOKENS',
        'MAX_NESTING',
        'DEFAULT_LIST_SIZE',
        'REQUEST_TIMEOUT_MS',
        'PERSISTED_QUERIES_BYTES',
        'REDIS_URL',
        'DEDUPLICATE_QUERIES',
        'FAST_SINGLE_FETCH',
        'FAST_PLAN_EXECUTION',
        'WORKERS',
        'RATE_LIMIT_PER_MINUTE',
        'RATE_LIMIT_INSTANCES',
        'SHUTDOWN_GRACE_MS',
        'HEAP_GROWING_PERCENT',
        'READY_REQUIRES_SUBGRAPHS',
        'MERGE_ENTITY_FETCHES',
        'ENTITY_CACHE',
        'ENTITY_CACHE_MAX_BYTES',
        'ENTITY_CACHE_POLL_MS',
        'MERGED_FETCH_MAX_BYTES',
        'SUBSCRIPTIONS_PER_CALLER',
        'SUBSCRIPTIONS_PER_PROCESS',
        'SUBSCRIPTION_HEARTBEAT_MS',
        'SUBSCRIPTION_BUFFER_EVENTS',
        'SUBSCRIPTION_AUTH_RECHECK_MS',
        'SUBSCRIPTION_RECONNECT_MS',
      ].sort(),
    );
  });

  it('reads each stage’s variables into the gateway’s configuration, and every problem in one message', () => {
    const config = loadGatewayConfig({ RATE_LIMIT_PER_MINUTE: '7', MAX_QUERY_DEPTH: '3', REQUEST_TIMEOUT_MS: '900' });
    expect(config).toMatchObject({
      rateLimitPerMinute: 7,
      queryLimits: { maxDepth: 3 },
      requestTimeoutMs: 900,
      deduplicateQueries: true,
    });
    expect(() => loadGatewayConfig({ RATE_LIMIT_PER_MINUTE: 'lots', WORKERS: '0' })).toThrow(
      /WORKERS[^]*RATE_LIMIT_PER_MINUTE|RATE_LIMIT_PER_MINUTE[^]*WORKERS/,
    );
  });
});

describe('the subgraph client is a plain call wrapped by layers', () => {
  const target = {
    name: 'car',
    url: new URL('http://subgraph.test/graphql'),
    timeoutMs: 5_000,
    log,
    signingSecret: Buffer.alloc(32, 1),
  };
  const context: GatewayContext = {
    requestId: 'r1',
    caller: ANONYMOUS,
    signal: new AbortController().signal,
    deadline: Date.now() + 10_000,
    idempotencyKey: null,
    subgraphCalls: [],
  };
  const fetch = (): SubgraphFetch => ({
    body: '{"query":"{ ok }"}',
    mutation: false,
    context: { ...context, subgraphCalls: [] },
    deadlineAt: Infinity,
    headers: {},
  });

  /** A transport that records what reached it, and answers. */
  function transport(seen: string[]) {
    const sent: SubgraphFetch[] = [];
    const send: Send = async (call) => {
      seen.push('http');
      sent.push({ ...call, headers: { ...call.headers } });
      return { kind: 'answered', status: 200, graphql: { data: { ok: true } } };
    };
    return { sent, transport: { send, close: async () => undefined } };
  }

  const around = (name: string, seen: string[]): ClientLayer => ({
    name,
    wrap: (next) => async (call) => {
      seen.push(`${name} in`);
      const sent = await next(call);
      seen.push(`${name} out`);
      return sent;
    },
  });

  it('runs an added layer in its place: after the deadline is set, before the signature', async () => {
    const seen: string[] = [];
    const { sent, transport: http } = transport(seen);
    let deadlineSeen = Number.NaN;
    const probe: ClientLayer = {
      name: 'probe',
      wrap: (next) => async (call) => {
        deadlineSeen = call.deadlineAt;
        expect(call.headers).not.toHaveProperty(SIGNATURE_HEADER);
        return around('probe', seen).wrap(next, target)(call);
      },
    };
    const gateways = CLIENT_LAYERS;
    const layers = [...gateways.slice(0, -1), probe, ...gateways.slice(-1)];
    const client = subgraphClient(target, layers, http);
    const call = fetch();
    expect(await client.send(call)).toEqual({ kind: 'answered', status: 200, graphql: { data: { ok: true } } });
    expect(seen).toEqual(['probe in', 'http', 'probe out']);
    expect(deadlineSeen).toBeLessThanOrEqual(Date.now() + target.timeoutMs);
    expect(sent[0]!.headers).toHaveProperty(SIGNATURE_HEADER);
    expect(call.context?.subgraphCalls.map((c) => c.outcome)).toEqual(['OK']);
  });

  it('gives a layer what it knows of its subgraph', async () => {
    const { sent, transport: http } = transport([]);
    const tagged: ClientLayer = {
      name: 'tagged',
      wrap: (next, subgraph) => async (call) => {
        call.headers['x-subgraph'] = subgraph.name;
        return next(call);
      },
    };
    await subgraphClient(target, [tagged], http).send(fetch());
    expect(sent[0]!.headers['x-subgraph']).toBe('car');
  });

  it('lets a layer answer without calling the subgraph (an entity cache, say)', async () => {
    const seen: string[] = [];
    const { transport: http } = transport(seen);
    const cache: ClientLayer = {
      name: 'cache',
      wrap: () => async () => ({ kind: 'answered', status: 200, graphql: { data: { cached: true } } }),
    };
    const client = subgraphClient(target, [around('outer', seen), cache], http);
    expect(await client.send(fetch())).toMatchObject({ graphql: { data: { cached: true } } });
    expect(seen).toEqual(['outer in', 'outer out']);
  });
});

describe('the executor is wrapped by layers', () => {
  const state = {
    schema: buildSchema('type Query { ok: Boolean }'),
    costModel: readCostModel(parse('type Query { ok: Boolean }'), 10),
    requirements: new Map(),
  };

  /** Apollo Gateway as far as the executor seam uses it: an executor that records that it ran. */
  const gatewayRecording = (seen: string[]) =>
    ({
      load: async () => ({
        schema: state.schema,
        executor: async () => {
          seen.push('apollo gateway');
          return { data: { ok: true } };
        },
      }),
      onSchemaLoadOrUpdate: () => () => undefined,
      stop: async () => undefined,
    }) as unknown as ApolloGateway;

  const layer = (name: string, seen: string[]): ExecutorLayer => ({
    name,
    wrap: (next, schemaState) => async (request) => {
      seen.push(`${name} (${schemaState().schema === state.schema ? 'current schema' : 'other schema'})`);
      return next(request);
    },
  });

  it('runs each layer, outermost first, around Apollo Gateway’s executor', async () => {
    const seen: string[] = [];
    const served = layeredGateway(gatewayRecording(seen), [layer('outer', seen), layer('inner', seen)], () => state);
    const { executor } = await served.load({ apollo: {} });
    expect(await executor!({} as ExecutionRequest)).toEqual({ data: { ok: true } });
    expect(seen).toEqual(['outer (current schema)', 'inner (current schema)', 'apollo gateway']);
  });

  it('refuses to serve before a supergraph, and its authorization rules, has loaded', async () => {
    const served = layeredGateway(gatewayRecording([]), EXECUTOR_LAYERS, () => undefined);
    await expect(served.load({ apollo: {} })).rejects.toThrow(/refusing to serve without its authorization rules/);
  });
});
