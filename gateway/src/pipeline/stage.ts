import type { ApolloServer, ApolloServerPlugin, DocumentStore, HTTPGraphQLResponse } from '@apollo/server';
import type { Context, Span } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import type { z } from 'zod';
import {
  type CallerIdentity,
  type Logger,
  readEnv,
  type ResponseMediaType,
  type ServiceMetrics,
  type SharedRedis,
} from '@car-check/service-kit';
import type { TokenVerifier } from '../auth/tokenVerifier';
import type { DeferredAnswer } from '../defer/deferredAnswer';
import type { PlanServices } from '../execution/planner';
import type { LiveSubscriptions } from '../subscriptions/liveSubscriptions';
import type { Subscription } from '../subscriptions/subscription';
import type { GatewayContext } from '../context';
import type { ServedSchema } from '../supergraph/servedSchema';
import type { SharedAnswer } from './inflightQueries';
import type { GraphQLParams } from './readRequest';
import type { OperationText } from './persistedQueries';

/**
 * One request on its way through the stages. What arrived is fixed; each
 * stage fills in what it establishes (the caller, the operation, ...) for the
 * stages after it, which read it with {@link need}.
 */
export interface GatewayRequest {
  /** The HTTP request (for a WebSocket, its upgrade request, and no response of its own). */
  readonly http: { readonly req: IncomingMessage; readonly res?: ServerResponse; readonly url: URL };
  /** performance.now() when the request arrived. */
  readonly started: number;
  readonly requestId: string;
  /** The request id the client sent (x-request-id), if any. */
  readonly clientRequestId?: string;
  readonly traceId?: string;
  readonly traceContext?: Context;
  /** The request's server span, if tracing is on. */
  readonly span?: Span;
  readonly address: string;
  /** The bearer token of `Authorization`: undefined when there is none, null when it is not a bearer token. */
  readonly token: string | null | undefined;
  params?: GraphQLParams;
  mediaType?: ResponseMediaType;
  /** The stream the client asked for (a subscription's transport); undefined for a plain answer. */
  streaming?: StreamTransport;
  /** Whether the client accepts @defer's multipart answer (`multipart/mixed;deferSpec=20220824`). */
  acceptsDeferredParts?: boolean;
  caller?: CallerIdentity;
  idempotencyKey?: string | null;
  text?: OperationText;
  /** Run once the document has passed every limit (the APQ store remembers only such texts). */
  onAdmitted?: () => void;
  operation?: OperationDefinitionNode;
  /** The admitted document the operation belongs to. */
  document?: DocumentNode;
  /** What Apollo Gateway and the subgraph client see of the request. */
  context?: GatewayContext;
}

/** The streams a client can ask for: multipart HTTP, server-sent events, or a WebSocket. */
export type StreamTransport = 'multipart' | 'sse' | 'websocket';

/**
 * What the path answers: Apollo Server's response, one shared with an
 * identical request in flight, a stream of results (a subscription) that
 * the transport writes as they come, or the parts of a query with @defer.
 */
export type Answer =
  | { kind: 'apollo'; response: HTTPGraphQLResponse }
  | { kind: 'shared'; answer: SharedAnswer }
  | { kind: 'stream'; stream: Subscription }
  | { kind: 'deferred'; stream: DeferredAnswer };

export type Next = () => Promise<Answer>;

/**
 * A stage: answers (or refuses, by throwing a Refusal) or hands the request
 * to the next stage with `next()`, possibly acting on what comes back.
 */
export type StageHandler = (request: GatewayRequest, next: Next) => Promise<Answer>;

/** What the gateway lends its stages: built once, shared by every request. */
export interface StageServices {
  log: Logger;
  metrics: ServiceMetrics;
  redis: SharedRedis | null;
  verifier: TokenVerifier;
  /** The schema being served; undefined until the first supergraph has loaded. */
  served(): ServedSchema | undefined;
  /** Called after every supergraph load, once `served()` returns the new schema. */
  onSchemaChange(listener: () => void): void;
  /** The live subscriptions of this process (the subscribe stage starts them). */
  subscriptions: LiveSubscriptions;
  /** The planner, subgraphs and executor layers that a query with @defer runs its parts with (and a single-fetch answer its fetch). */
  deferred: Omit<PlanServices, 'log' | 'metrics' | 'served'>;
  /** Apollo Server, started before the first request arrives. */
  apollo(): ApolloServer<GatewayContext>;
}

/** What a stage adds to Apollo Server, when it acts inside Apollo's own pipeline. */
interface ApolloContribution {
  plugins?: ApolloServerPlugin<GatewayContext>[];
  documentStore?: DocumentStore;
}

interface BuiltStage {
  /** The stage's name: another entry point (a subscription transport) can put its own handler in its place. */
  readonly name: string;
  handle: StageHandler;
  apollo?: ApolloContribution;
}

/** What a stage's configuration may depend on besides its own variables. */
interface SharedSettings {
  production: boolean;
}

/**
 * A stage as stages.ts lists it: the environment variables it owns, how it
 * reads them into its configuration, and how it is built from that.
 * Exported because every stage file's declaration (npm run build) names it.
 */
export interface Stage<Config extends object> {
  readonly name: string;
  /** Its environment variables (zod), composed into the gateway's (config.ts). */
  readonly env: z.ZodRawShape;
  readConfig(env: NodeJS.ProcessEnv, shared: SharedSettings): Config;
  create(config: Config, services: StageServices): BuiltStage;
}

/**
 * A stage in one file: its name, the environment variables it owns, how they
 * become its configuration (which joins GatewayConfig), and its handler.
 */
export function defineStage<Env extends z.ZodRawShape, Config extends object>(spec: {
  name: string;
  env: Env;
  configure: (values: z.infer<z.ZodObject<Env>>, shared: SharedSettings) => Config;
  create: (config: Config, services: StageServices) => Omit<BuiltStage, 'name'> | StageHandler;
}): Stage<Config> {
  return {
    name: spec.name,
    env: spec.env,
    // Its own variables only: config.ts has checked every variable at once before.
    readConfig: (env, shared) => spec.configure(readEnv(spec.env, env), shared),
    create: (config, services) => {
      const built = spec.create(config, services);
      return typeof built === 'function' ? { name: spec.name, handle: built } : { name: spec.name, ...built };
    },
  };
}

/** A stage placed in a list whose whole configuration is `Config`. */
interface Placed<Config> {
  readonly name: string;
  readonly env: z.ZodRawShape;
  create(config: Config, services: StageServices): BuiltStage;
}

/**
 * The ordered stages of the request path (stages.ts), and their configuration:
 * the intersection of every stage's, which joins GatewayConfig (config.ts first
 * checks every variable at once, so that one message names every problem).
 */
export class StageList<Config extends object> {
  private constructor(
    readonly entries: readonly Placed<Config>[],
    private readonly read: (env: NodeJS.ProcessEnv, shared: SharedSettings) => Config,
  ) {}

  /** An empty list of stages, to `add` them to in order. */
  static empty(): StageList<Record<never, never>> {
    return new StageList<Record<never, never>>([], () => ({}));
  }

  /** This list with `stage` after the others. */
  add<Own extends object>(stage: Stage<Own>): StageList<Config & Own> {
    if (this.entries.some((placed) => placed.name === stage.name))
      throw new Error(`two entries are named ${stage.name}`);
    return new StageList<Config & Own>([...this.entries, stage], (env, shared) => ({
      ...this.read(env, shared),
      ...stage.readConfig(env, shared),
    }));
  }

  /** Every stage's variables (a variable two stages share is the same schema). */
  get env(): z.ZodRawShape {
    return this.entries.reduce<z.ZodRawShape>((shape, stage) => ({ ...shape, ...stage.env }), {});
  }

  readConfig(env: NodeJS.ProcessEnv, shared: SharedSettings): Config {
    return this.read(env, shared);
  }

  create(config: Config, services: StageServices): BuiltStage[] {
    return this.entries.map((stage) => stage.create(config, services));
  }
}

/** Runs the request through the handlers in order; the last one must answer. */
export function runStages(handlers: readonly StageHandler[], request: GatewayRequest): Promise<Answer> {
  const dispatch = (index: number): Promise<Answer> => {
    const handler = handlers[index];
    if (!handler)
      return Promise.reject(new Error('the request path ended without an answer: its last stage must answer'));
    return handler(request, () => dispatch(index + 1));
  };
  return dispatch(0);
}

/** What an earlier stage established; its absence is a stage list out of order. */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined)
    throw new Error(`the request path has no ${what} yet: a stage needs one that comes later in stages.ts`);
  return value;
}
