import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { formatSubgraphError } from '../errors/database';
import express, { type Express, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import {
  type Logger,
  type ServiceMetrics,
  type CallerIdentity,
  type ManagementAccess,
  type SignatureCheck,
  type DependencyState,
  type ReadinessCheck,
  errorReportingPlugin,
  requestLogPlugin,
  keepRawBody,
  requireGatewaySignature,
  bodyErrorHandler,
  graphqlOverHttpPlugin,
  guardGraphQLRequest,
  notFoundHandler,
  buildVersion,
  mountHealth,
  requireAllUp,
  withDegradable,
  assignRequestId,
  activateRequestTrace,
  requestTraceId,
  traceHttpRequests,
  traceRootFields,
  tracingPlugin,
  flushTracing,
  startTracing,
} from '@car-check/service-kit';
import { abandonedWorkPlugin, abandonmentSignal } from './abandonedWork';
import type { StreamRequest } from '../subscriptions/fields';
import type { SubscriptionHub } from '../subscriptions/hub';
import { subscriptionsOverSse } from '../subscriptions/sse';
import { plainHttpSubscriptionPlugin } from '../subscriptions/plainHttp';
import { textInputPlugin } from './textInput';

/** What every subgraph knows about the request it serves. */
export interface RequestInfo {
  /** This request's id, made by the gateway (or this service): unique. */
  requestId: string;
  /** The request id the client chose (x-request-id), if any: for logs and audit records, never unique. */
  clientRequestId?: string;
  /** The request's trace id (the gateway's trace, continued); undefined only when tracing is disabled. */
  traceId?: string;
  /** Who the gateway says the caller is (verified signature). */
  caller: CallerIdentity;
  /** Aborted when the caller's deadline passes or it hangs up: work for this request should stop. */
  signal: AbortSignal;
  /** The client's Idempotency-Key for the mutations of this request, and how long it is remembered. */
  idempotency: { key: string; ttlSeconds: number } | null;
  /** Set when the request is a subscription served as a stream (text/event-stream): where its changes come from. */
  stream?: StreamRequest;
}

export interface SubgraphAppOptions<Ctx extends RequestInfo> {
  name: string;
  schema: GraphQLSchema;
  log: Logger;
  /** Builds the per-request context (fresh DataLoaders for every request). */
  context: (request: RequestInfo) => Ctx;
  ready: ReadinessCheck;
  /** Dependencies shown in `/ready` that never make the subgraph unready (Redis: its state falls back). */
  degradable?: () => Record<string, DependencyState>;
  introspection: boolean;
  bodyLimit: string;
  /** Only requests the gateway (or a peer) signed for this service, once, are served. */
  signatures: SignatureCheck;
  /** sha256 of the SDL this subgraph serves (in `/health` and a metric). */
  schemaHash: string;
  /** How long an Idempotency-Key and its first result are kept. */
  idempotencyTtlSeconds: number;
  /** Releases what the service holds besides its database (Redis), when Apollo stops. */
  onStop?: () => Promise<void>;
  /** Extra HTTP routes of this subgraph (mounted before /graphql). */
  routes?: (app: Express) => void;
  metrics: ServiceMetrics;
  /** Who may read `/ready`'s details and `/metrics` (the management token). */
  management?: ManagementAccess;
  /** Extra facts for `/ready`'s body (never readiness itself). */
  readyDetails?: () => Record<string, unknown>;
  /** The long-lived parts the subgraph's set-up built (handed back to whoever booted it). */
  services?: unknown;
  /** Its subscription fields' changes (docs/subscriptions.md): served as text/event-stream when set. */
  subscriptions?: SubscriptionHub;
  /** Answers every held read of its routes at once (the event feed's long polls): with endStreams. */
  endHeldReads?: () => void;
}

export interface SubgraphApp {
  app: Express;
  apollo: ApolloServer<BaseContext>;
  /** The long-lived parts the subgraph's set-up built (e.g. its event consumers). */
  services?: unknown;
  /**
   * Ends every subscription stream with `complete` (after its last cursor), answers every
   * held read of the event feed, and stops reading the outbox: the first step of a graceful
   * shutdown, since open streams and held reads would otherwise hold the HTTP drain until
   * its grace period.
   */
  endStreams(): Promise<void>;
}

/**
 * The HTTP side shared by all subgraphs: `/graphql` served by Apollo Server,
 * `/health` and `/ready`, JSON errors for everything else. The caller decides
 * where (and whether) to listen, so tests can use port 0.
 */
export async function createSubgraphApp<Ctx extends RequestInfo>(
  options: SubgraphAppOptions<Ctx>,
): Promise<SubgraphApp> {
  // Once per process; the first service started names the process's resource.
  startTracing({ serviceName: options.name });
  traceRootFields(options.schema, options.name);
  // Set once /ready is mounted; its background checks stop with Apollo.
  let stopReadiness = () => undefined as void;
  const apollo = new ApolloServer<Ctx>({
    schema: options.schema,
    introspection: options.introspection,
    formatError: formatSubgraphError,
    includeStacktraceInErrorResponses: false,
    // Read by the gateway, not by people: compact JSON is about a third smaller than Apollo's
    // two-space default, and takes less time to write here and to parse there.
    stringifyResult: (result) => JSON.stringify(result),
    // Shutdown is ours (onShutdownSignal): close HTTP first, then Apollo, then the database.
    stopOnTerminationSignals: false,
    // Subgraphs are reached through the gateway, where Sandbox lives.
    // No Apollo Studio here: no federated traces to compute.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      // Cache hints computed field by field would go to the gateway, which does not read them:
      // a hook on every resolved field for nothing.
      ApolloServerPluginCacheControlDisabled(),
      abandonedWorkPlugin<Ctx>(),
      textInputPlugin() as ApolloServerPlugin<Ctx>,
      errorReportingPlugin<Ctx>(options.log),
      requestLogPlugin<Ctx>(options.log, options.metrics),
      tracingPlugin<Ctx>(),
      graphqlOverHttpPlugin<Ctx>(),
      plainHttpSubscriptionPlugin<Ctx>(),
      {
        async serverWillStart() {
          return {
            serverWillStop: async () => {
              stopReadiness();
              await options.subscriptions?.close();
              await options.onStop?.();
              // Spans still buffered for the exporter go out before the service is gone.
              await flushTracing();
            },
          };
        },
      },
    ],
    logger: options.log,
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.use(assignRequestId);
  const build = { version: buildVersion(), schemaHash: options.schemaHash };
  options.metrics.setBuildInfo(build.version, build.schemaHash);
  stopReadiness = mountHealth(
    app,
    options.name,
    withDegradable(requireAllUp(options.ready), options.degradable ?? (() => ({}))),
    options.readyDetails,
    () => build,
    options.management,
  );
  options.metrics.mount(app, options.management);
  // Every request but health checks and metrics scrapes is a span, continuing the caller's trace.
  app.use(traceHttpRequests(options.name));
  options.routes?.(app);
  app.use(
    '/graphql',
    express.json({ limit: options.bodyLimit, verify: keepRawBody }),
    activateRequestTrace,
    requireGatewaySignature(options.signatures, options.log),
    // A subscription asked for as text/event-stream is a stream, served here; everything else is Apollo's.
    ...(options.subscriptions
      ? [
          subscriptionsOverSse({
            schema: options.schema,
            hub: options.subscriptions,
            log: options.log,
            // A stream outlives any deadline the gateway signed: it ends when either side hangs up.
            requestInfo: (res, signal) => requestInfoOf(res, options.idempotencyTtlSeconds, signal),
            context: options.context,
          }),
        ]
      : []),
    guardGraphQLRequest,
    expressMiddleware(apollo, {
      context: async ({ res }) =>
        options.context(
          requestInfoOf(
            res,
            options.idempotencyTtlSeconds,
            abandonmentSignal(res, res.locals.deadline as number | null),
          ),
        ),
    }),
  );
  app.use(bodyErrorHandler);
  notFoundHandler(app);
  const hub = options.subscriptions;
  return {
    app,
    apollo: apollo as unknown as ApolloServer<BaseContext>,
    services: options.services,
    endStreams: async () => {
      options.endHeldReads?.();
      await hub?.close();
    },
  };
}

/** What a signed request says about itself (set by requireGatewaySignature), for its context. */
function requestInfoOf(res: Response, idempotencyTtlSeconds: number, signal: AbortSignal): RequestInfo {
  return {
    requestId: res.locals.requestId as string,
    clientRequestId: res.locals.clientRequestId as string | undefined,
    traceId: requestTraceId(res),
    caller: res.locals.caller as CallerIdentity,
    signal,
    idempotency: res.locals.idempotencyKey
      ? { key: res.locals.idempotencyKey as string, ttlSeconds: idempotencyTtlSeconds }
      : null,
  };
}
