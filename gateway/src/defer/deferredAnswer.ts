import type { ServiceMap } from '@apollo/gateway';
import type { PlanNode, QueryPlan } from '@apollo/query-planner';
import type { GatewayExecutionResult } from '@apollo/server-gateway-interface';
import type { GraphQLFormattedError } from 'graphql';
import { errorExtensions, formatError, logRequest, outcomeOf, type StatusCode } from '@car-check/service-kit';
import { authorizeSubscription } from '../auth/authorizeOperation';
import type { GatewayContext } from '../context';
import type { ExecutionRequest, Executor } from '../execution/executor';
import { runnerRequest, type PlanServices } from '../execution/planner';
import { type DeferredOperation, type DocumentPart, withoutPlaceholders } from './deferredDocument';
import { type DeferredPart, incrementalItems } from './incremental';
import { sharedFetches } from './sharedFetches';

/** One admitted query with @defer, as the request path established it. */
export interface DeferredRequest {
  deferred: DeferredOperation;
  operationName?: string;
  variables: Record<string, unknown>;
  method: string;
  /** The request's context: its deadline and signal bound every part. */
  context: GatewayContext;
  /** performance.now() when the request arrived (its log line's duration). */
  started: number;
}

const DEADLINE = Symbol('deadline');

/**
 * The answer to a query with @defer, part by part
 * (`multipart/mixed;deferSpec=20220824`): first the primary part, as soon as
 * it is ready (`{data, hasNext: true}`), then each deferred fragment's
 * results as soon as they are (`{incremental: [...], hasNext}`), the last
 * with `hasNext: false`.
 *
 * Its plan is Apollo's own with @defer enabled: `Defer { primary, deferred[] }`.
 * Each part runs through the executor layers (authorization masks the
 * denied fields of that part) and `executeQueryPlan`: the primary as
 * `primary.node`, each deferred fragment as `Sequence [primary.node,
 * deferred.node]` over the document with that fragment inlined, its fields
 * then sliced out at their paths. The subgraph fetches are shared within the
 * request (sharedFetches), so the primary's go out once. The request's
 * deadline bounds the whole answer: past it, the stream ends with
 * DEADLINE_EXCEEDED; a client that goes away stops it (and, through the
 * request's signal, its subgraph calls).
 */
export class DeferredAnswer implements AsyncIterable<DeferredPart> {
  private readonly queue: DeferredPart[] = [];
  private wake?: () => void;
  private ended = false;
  private readonly executor: Executor;
  /** The plan node of each part's run, by the context object that run carries through the layers. */
  private readonly planOfRun = new WeakMap<object, PlanNode | undefined>();
  private services?: ServiceMap;
  private errorCount = 0;
  private firstPushed = false;
  private firstError?: GraphQLFormattedError;

  constructor(
    private readonly request: DeferredRequest,
    private readonly deps: PlanServices,
  ) {
    const loaded = () => {
      const served = deps.served();
      if (!served) throw new Error('a deferred query ran before the gateway loaded a supergraph');
      return served;
    };
    this.executor = deps.layers.reduceRight<Executor>(
      (next, layer) => layer.wrap(next, loaded),
      (requestContext) => this.executePart(requestContext),
    );
  }

  /** Starts running every part. */
  start(): this {
    this.run()
      .catch((error: unknown) => {
        this.deps.log.error({ err: error, requestId: this.request.context.requestId }, 'deferred query failed');
        this.fail('INTERNAL', 'The query failed. Quote the request id when reporting it.');
      })
      .finally(() => this.logAnswer());
    return this;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<DeferredPart> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** The client went away: nothing more is delivered (the request's signal stops its subgraph calls). */
  cancel(): void {
    this.queue.length = 0;
    this.end();
  }

  private async run(): Promise<void> {
    const { request, deps } = this;
    const runner = deps.runner();
    const served = deps.served();
    if (!runner || !served)
      return this.fail('UNAVAILABLE', 'The gateway has not loaded its supergraph yet; retry shortly.');
    const { deferred } = request;
    // Planned as authorized for this caller: a denied field is asked of no subgraph (the layer reports it per part).
    const authorized = authorizeSubscription(
      deferred.planned,
      request.operationName,
      deferred.primary.operation,
      served,
      request.context.caller,
    ).document;
    const plan = runner.planDeferred(authorized, request.operationName);
    this.services = sharedFetches(deps.subgraphs());
    const deadline = this.deadlineReached();
    try {
      if (plan.node?.kind === 'Subscription') throw new Error('a query was planned as a subscription');
      if (plan.node?.kind !== 'Defer') {
        // The planner deferred nothing (the fragments' fields come with the rest): one part.
        const whole = await Promise.race([this.runPart(deferred.whole, plan.node), deadline.reached]);
        if (whole === DEADLINE) return this.fail('DEADLINE_EXCEEDED', 'The query did not finish before its deadline.');
        return this.finish({ ...whole, hasNext: false });
      }
      const { primary, deferred: deferredNodes } = plan.node;
      const blockRuns = new Map(
        deferred.blocks.map((block, index) => {
          const node = deferredNodes.find((candidate) => candidate.label === block.label)?.node;
          const planNode: PlanNode | undefined =
            primary.node && node ? { kind: 'Sequence', nodes: [primary.node, node] } : (node ?? primary.node);
          return [index, this.runPart(block.part, planNode).then((result) => ({ index, result }))] as const;
        }),
      );
      const first = await Promise.race([this.runPart(deferred.primary, primary.node), deadline.reached]);
      if (first === DEADLINE) return this.fail('DEADLINE_EXCEEDED', 'The query did not finish before its deadline.');
      const primaryData = first.data;
      if (primaryData === null || primaryData === undefined) return this.finish({ ...first, hasNext: false });
      this.push({ ...first, hasNext: true });
      while (blockRuns.size > 0 && !this.ended) {
        const ready = await Promise.race([...blockRuns.values(), deadline.reached]);
        if (ready === DEADLINE) {
          return this.fail('DEADLINE_EXCEEDED', 'A deferred part did not arrive before the query’s deadline.');
        }
        blockRuns.delete(ready.index);
        const block = deferred.blocks[ready.index]!;
        const { items, unplaced } = incrementalItems(block, primaryData, first.errors ?? [], {
          data: ready.result.data,
          errors: ready.result.errors ?? [],
        });
        const hasNext = blockRuns.size > 0;
        // A block with nothing to add (an empty list) is sent only when it is the last.
        if (items.length === 0 && unplaced.length === 0 && hasNext) continue;
        this.push({
          ...(items.length > 0 ? { incremental: items } : {}),
          ...(unplaced.length > 0 ? { errors: unplaced } : {}),
          hasNext,
        });
      }
      this.end();
    } finally {
      deadline.clear();
    }
  }

  /**
   * One part through the layers: its data without placeholders, its errors
   * formatted as a query's; an executor that throws is an INTERNAL error of
   * the part, never a rejection.
   */
  private async runPart(
    part: DocumentPart,
    node: PlanNode | undefined,
  ): Promise<{ data: Record<string, unknown> | null; errors?: GraphQLFormattedError[] }> {
    const context = { ...this.request.context };
    this.planOfRun.set(context, node);
    let result: GatewayExecutionResult;
    try {
      result = await this.executor(this.partRequest(part, context));
    } catch (error) {
      // Never a rejection: a part may finish after the answer ended (deadline), with no one awaiting it.
      this.deps.log.error({ err: error, requestId: context.requestId }, 'a deferred part failed');
      const { requestId, traceId } = context;
      return {
        data: null,
        errors: [
          {
            message: 'The query failed. Quote the request id when reporting it.',
            extensions: errorExtensions('INTERNAL', requestId, traceId),
          },
        ],
      };
    }
    const data = result.data ?? null;
    const errors = (result.errors ?? []).map((error) => this.formatted(error.toJSON(), error));
    return {
      data: part.hasPlaceholder ? withoutPlaceholders(data) : data,
      ...(errors.length > 0 ? { errors } : {}),
    };
  }

  /** The request context of one part, as Apollo Server would give a query's to the executor. */
  private partRequest(part: DocumentPart, context: GatewayContext): ExecutionRequest {
    const { request, deps } = this;
    const schema = deps.runner()?.schema ?? deps.served()!.schema;
    return runnerRequest({ ...request, ...part }, context, schema, deps.log);
  }

  /** The innermost executor: the part's plan node, with the request's shared fetches. */
  private executePart(requestContext: ExecutionRequest): Promise<GatewayExecutionResult> {
    const runner = this.deps.runner();
    if (!runner || !this.services) throw new Error('a deferred part ran before the gateway loaded a supergraph');
    const plan: QueryPlan = { kind: 'QueryPlan', node: this.planOfRun.get(requestContext.context) };
    return runner.execute(plan, this.services, requestContext);
  }

  /** Resolves when the request's deadline passes (its signal aborts the subgraph calls at the same time). */
  private deadlineReached(): { reached: Promise<typeof DEADLINE>; clear: () => void } {
    let timer: NodeJS.Timeout | undefined;
    const reached = new Promise<typeof DEADLINE>((resolve) => {
      timer = setTimeout(() => resolve(DEADLINE), Math.max(0, this.request.context.deadline - Date.now()));
      // The request's own socket keeps the process alive; this timer alone must not.
      timer.unref();
    });
    return { reached, clear: () => clearTimeout(timer) };
  }

  /** An error as the client sees it: coded and masked as a query's (formatError), with the request's ids. */
  private formatted(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const { requestId, traceId } = this.request.context;
    const shaped = formatError(formatted, error);
    return { ...shaped, extensions: { ...shaped.extensions, requestId, ...(traceId ? { traceId } : {}) } };
  }

  private count(errors: readonly GraphQLFormattedError[]): void {
    this.errorCount += errors.length;
    this.firstError ??= errors[0];
  }

  private push(part: DeferredPart): void {
    if (this.ended) return;
    this.count(part.errors ?? []);
    part.incremental?.forEach((item) => this.count(item.errors ?? []));
    this.queue.push(part);
    this.firstPushed = true;
    this.wake?.();
  }

  /** Ends with one coded error: the first part's (`data: null`) if none was sent yet, else the last part's. */
  private fail(code: StatusCode, message: string): void {
    const { requestId, traceId } = this.request.context;
    const errors = [{ message, extensions: errorExtensions(code, requestId, traceId) }];
    this.finish(this.firstPushed ? { errors, hasNext: false } : { data: null, errors, hasNext: false });
  }

  private finish(last: DeferredPart): void {
    this.push(last);
    this.end();
  }

  private end(): void {
    this.ended = true;
    this.wake?.();
  }

  private logAnswer(): void {
    const { request, deps } = this;
    logRequest(deps.log, deps.metrics, {
      method: request.method,
      operationName: request.operationName,
      status: 200,
      seconds: (performance.now() - request.started) / 1000,
      outcome: outcomeOf(this.firstError ? [this.firstError] : []),
      errors: this.errorCount,
      context: request.context,
    });
  }
}
