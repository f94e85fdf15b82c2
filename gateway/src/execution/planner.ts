import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { operationFromDocument, type Schema, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner, type QueryPlan } from '@apollo/query-planner';
import type { GatewayExecutionResult, GatewaySchemaHash } from '@apollo/server-gateway-interface';
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { Logger, ServiceMetrics } from '@car-check/service-kit';
import type { GatewayContext } from '../context';
import type { ServedSchema } from '../supergraph/servedSchema';
import type { ExecutionRequest, ExecutorLayer } from './executor';

/**
 * What running a query's plan outside Apollo Server needs of the gateway (a deferred answer,
 * the gateway's own plan answers): its planner, subgraphs and rules, as a subscription does.
 */
export interface PlanServices {
  /** The planner of the supergraph served now. */
  runner(): PlanRunner | undefined;
  /** Apollo Gateway's data sources (the subgraph client), by subgraph name. */
  subgraphs(): Readonly<Record<string, GraphQLDataSource>>;
  served(): ServedSchema | undefined;
  /** The executor layers (authorization), which a query goes through. */
  layers: readonly ExecutorLayer[];
  log: Logger;
  metrics: ServiceMetrics;
}

/** Apollo's request context asks for a cache; the plans this runner executes never read one (it keeps its own). */
const NO_CACHE = {
  get: async () => undefined,
  set: async () => undefined,
  delete: async () => true,
};

/** What the runner's callers know of one operation they run through the executor layers. */
export interface RunnerOperation {
  source: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  queryHash: string;
  variables?: Record<string, unknown>;
  operationName?: string | null;
}

/**
 * The request context of an operation this runner executes (a deferred part, a subscription's event),
 * shaped as Apollo Server gives a query's to the executor, so the same executor layers can wrap it.
 */
export function runnerRequest(
  op: RunnerOperation,
  context: GatewayContext,
  schema: GraphQLSchema,
  logger: ExecutionRequest['logger'],
): ExecutionRequest {
  return {
    request: { query: op.source, variables: op.variables, operationName: op.operationName ?? undefined },
    logger,
    schema,
    schemaHash: '' as GatewaySchemaHash,
    context,
    cache: NO_CACHE,
    queryHash: op.queryHash,
    document: op.document,
    source: op.source,
    operationName: op.operationName ?? null,
    operation: op.operation,
    metrics: {},
    overallCachePolicy: {},
  };
}

/**
 * The gateway's own planner and plan executor over one loaded supergraph, for
 * what Apollo Gateway's executor refuses to run itself (a subscription's plan,
 * run once per event; each part of a deferred answer). It is the very QueryPlanner Apollo Gateway
 * builds (same supergraph, same default configuration), so its plans are the
 * ones a query would get; and it runs them with Apollo Gateway's own
 * `executeQueryPlan`, so entity fetches, result shaping and errors are the same.
 */
export class PlanRunner {
  private readonly planner: QueryPlanner;
  /** The planner that keeps @defer as DeferNodes (built on the first deferred request: most supergraphs never see one). */
  private deferPlanner?: QueryPlanner;
  private readonly supergraph: Supergraph;
  /** The supergraph's schema (graphql-js), which Apollo's executor tests entities' types against. */
  readonly supergraphSchema: GraphQLSchema;
  /** Apollo's API schema (federation-internals) of that supergraph. */
  readonly apiSchema: Schema;
  /** Plans by document (the documents stage hands out one DocumentNode per text), then operation name. */
  private readonly plans = new WeakMap<DocumentNode, Map<string, QueryPlan>>();
  private readonly deferredPlans = new WeakMap<DocumentNode, Map<string, QueryPlan>>();

  /**
   * @param coreSupergraphSdl the supergraph Apollo Gateway loaded (its onSchemaLoadOrUpdate).
   * @param schema Apollo Gateway's API schema (graphql-js) of that supergraph.
   */
  constructor(
    coreSupergraphSdl: string,
    readonly schema: GraphQLSchema,
  ) {
    // Apollo Gateway validated this supergraph when it loaded it.
    const supergraph = Supergraph.build(coreSupergraphSdl, { validateSupergraph: false });
    this.supergraph = supergraph;
    this.planner = new QueryPlanner(supergraph);
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.apiSchema = supergraph.apiSchema();
  }

  /** The plan of one operation of an admitted (validated) document, built once; @defer is inlined. */
  plan(document: DocumentNode, operationName: string | null | undefined): QueryPlan {
    return this.planWith(this.planner, this.plans, document, operationName);
  }

  /**
   * The plan of an operation whose @defer fragments stay deferred: a
   * `Defer` node with the primary part and one deferred part per fragment
   * (Apollo's `incrementalDelivery.enableDefer`), built once.
   */
  planDeferred(document: DocumentNode, operationName: string | null | undefined): QueryPlan {
    this.deferPlanner ??= new QueryPlanner(this.supergraph, { incrementalDelivery: { enableDefer: true } });
    return this.planWith(this.deferPlanner, this.deferredPlans, document, operationName);
  }

  private planWith(
    planner: QueryPlanner,
    cache: WeakMap<DocumentNode, Map<string, QueryPlan>>,
    document: DocumentNode,
    operationName: string | null | undefined,
  ): QueryPlan {
    let byName = cache.get(document);
    if (!byName) cache.set(document, (byName = new Map<string, QueryPlan>()));
    const key = operationName ?? '';
    let plan = byName.get(key);
    if (!plan) {
      const operation = operationFromDocument(this.apiSchema, document, { operationName: operationName ?? undefined });
      plan = planner.buildQueryPlan(operation);
      byName.set(key, plan);
    }
    return plan;
  }

  /** Runs `plan` (or a plan made from it) for one request, fetching through `services`. */
  execute(plan: QueryPlan, services: ServiceMap, request: ExecutionRequest): Promise<GatewayExecutionResult> {
    const operationContext = buildOperationContext({
      schema: this.schema,
      operationDocument: request.document,
      operationName: request.operationName ?? undefined,
    });
    return executeQueryPlan(plan, services, request, operationContext, this.supergraphSchema, this.apiSchema);
  }
}
