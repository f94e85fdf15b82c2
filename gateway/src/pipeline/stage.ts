import type { ApolloServer, ApolloServerPlugin, DocumentStore, HTTPGraphQLResponse } from '@apollo/server';
import type { Context, Span } from '@opentelemetry/api';
import type { Request, Response } from 'express';
import type { OperationDefinitionNode } from 'graphql';
import type { z } from 'zod';
import {
  type CallerIdentity,
  type Logger,
  type ResponseMediaType,
  type ServiceMetrics,
  type SharedRedis,
} from '@car-check/service-kit';
import type { TokenVerifier } from '../auth/tokenVerifier';
import { type ConfigSpec, type Configured, ConfiguredList, configReader } from '../configuredList';
import type { GatewayContext } from '../context';
import type { ServedSchema } from './documents';
import type { SharedAnswer } from './inflight';
import type { GraphQLParams } from './intake';
import type { OperationText } from './operationText';

/**
 * One request on its way through the stages. What arrived is fixed; each
 * stage fills in what it establishes (the caller, the operation, ...) for the
 * stages after it, which read it with {@link need}.
 */
export interface GatewayRequest {
  readonly http: { readonly req: Request; readonly res: Response; readonly url: URL };
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
  caller?: CallerIdentity;
  idempotencyKey?: string | null;
  text?: OperationText;
  /** Run once the document has passed every limit (the APQ store remembers only such texts). */
  onAdmitted?: () => void;
  operation?: OperationDefinitionNode;
  /** What Apollo Gateway and the subgraph client see of the request. */
  context?: GatewayContext;
}

/** What the path answers: Apollo Server's response, or one shared with an identical request in flight. */
export type Answer = { kind: 'apollo'; response: HTTPGraphQLResponse } | { kind: 'shared'; answer: SharedAnswer };

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
  /** Apollo Server, started before the first request arrives. */
  apollo(): ApolloServer<GatewayContext>;
}

/** What a stage adds to Apollo Server, when it acts inside Apollo's own pipeline. */
export interface ApolloContribution {
  plugins?: ApolloServerPlugin<GatewayContext>[];
  documentStore?: DocumentStore;
}

export interface BuiltStage {
  /** The stage's name: another entry point (a subscription transport) can put its own handler in its place. */
  readonly name: string;
  handle: StageHandler;
  apollo?: ApolloContribution;
}

export type Stage<Config extends object> = Configured<Config, BuiltStage, StageServices>;

/** The ordered stages of the request path (stages.ts). */
export type StageList<Config extends object> = ConfiguredList<Config, BuiltStage, StageServices>;

/** An empty list of stages, to `add` them to in order. */
export const emptyStageList = () => ConfiguredList.empty<BuiltStage, StageServices>();

/**
 * A stage in one file: its name, the environment variables it owns, how they
 * become its configuration (which joins GatewayConfig), and its handler.
 */
export function defineStage<Env extends z.ZodRawShape, Config extends object>(
  spec: ConfigSpec<Env, Config> & {
    create: (config: Config, services: StageServices) => Omit<BuiltStage, 'name'> | StageHandler;
  },
): Stage<Config> {
  return {
    name: spec.name,
    env: spec.env,
    readConfig: configReader(spec),
    create: (config, services) => {
      const built = spec.create(config, services);
      return typeof built === 'function' ? { name: spec.name, handle: built } : { name: spec.name, ...built };
    },
  };
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
