import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Kind } from 'graphql';
import type { ServiceMetrics } from '../../common/metrics/metrics';
import { ANONYMOUS, signIdentity } from '../../common/auth/identity';
import type { StatusCode } from '../../common/errors';
import type { Logger } from '../../common/logging/logger';
import { REQUEST_ID_HEADER } from '../../common/server/requestId';
import type { GatewayContext } from './context';
import { fieldErrorsForFailedFetch } from './fieldErrors';

export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  /** The subgraph's deadline: past it, its fields fail with DEADLINE_EXCEEDED. */
  timeoutMs: number;
  log: Logger;
  /** Signs the caller's identity for the subgraph (shared with every subgraph). */
  signingSecret: Buffer;
  metrics?: ServiceMetrics;
}

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: GatewayGraphQLResponse['errors'];
  extensions?: Record<string, unknown>;
}

/**
 * How the gateway calls one subgraph. Unlike Apollo's RemoteGraphQLDataSource
 * it never throws: a subgraph that is down, too slow, or answers with something
 * that is not GraphQL yields per-field errors (UNAVAILABLE, DEADLINE_EXCEEDED,
 * CANCELLED) that the gateway places on the fields that needed it, while the
 * rest of the response is served. Upstream bodies are logged, never forwarded.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(private readonly options: SubgraphDataSourceOptions) {}

  async process(request: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const started = performance.now();
    // Health checks and schema loads carry no request context.
    const context = 'requestId' in request.context ? (request.context as GatewayContext) : undefined;
    const { response, outcome } = await this.send(request, context);
    const durationMs = performance.now() - started;
    this.options.metrics?.observeSubgraphFetch(this.options.name, outcome, durationMs / 1000);
    context?.subgraphCalls?.push({ subgraph: this.options.name, durationMs: Math.round(durationMs), outcome });
    return response;
  }

  private async send(
    request: GraphQLDataSourceProcessOptions<GatewayContext>,
    context: GatewayContext | undefined,
  ): Promise<{ response: GatewayGraphQLResponse; outcome: string }> {
    const { name, url, timeoutMs, log } = this.options;
    const query = request.request.query ?? '';
    // This call's deadline: the subgraph's own, or the request's if that comes first.
    const deadlineAt = Math.min(Date.now() + timeoutMs, context?.deadline ?? Number.POSITIVE_INFINITY);
    const deadline = AbortSignal.timeout(Math.max(0, deadlineAt - Date.now()));
    const signals = [deadline, ...(context?.signal ? [context.signal] : [])];
    const body = JSON.stringify({
      query,
      variables: request.request.variables,
      operationName: request.request.operationName,
    });
    const mutation = isMutation(request);
    // Headers are built from scratch: nothing the client sent is forwarded,
    // and the identity is the one the gateway verified, signed for this body.
    const post = () =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(context ? { [REQUEST_ID_HEADER]: context.requestId } : {}),
          // The deadline travels signed, so the subgraph stops working when nobody waits any more.
          ...signIdentity(context?.caller ?? ANONYMOUS, body, this.options.signingSecret, {
            audience: name,
            requestId: context?.requestId,
            deadline: deadlineAt,
            ...(context?.idempotencyKey && mutation ? { idempotencyKey: context.idempotencyKey } : {}),
          }),
        },
        body,
        signal: AbortSignal.any(signals),
      });

    let response: Response;
    try {
      response = await post().catch(async (error: unknown) => {
        // A dropped connection (a subgraph restarting, a stale keep-alive socket)
        // is retried once, but only for queries: a mutation may have been applied.
        if (deadline.aborted || context?.signal.aborted || mutation) throw error;
        log.info({ subgraph: name, requestId: context?.requestId }, 'retrying a query after a connection failure');
        return post();
      });
    } catch {
      const requestExpired = context !== undefined && context.deadline <= Date.now();
      if (context?.signal.aborted && !requestExpired) return this.failed(request, 'CANCELLED', 'The client cancelled the request.');
      if (deadline.aborted || requestExpired) {
        log.warn({ subgraph: name, requestId: context?.requestId, timeoutMs }, 'subgraph deadline exceeded');
        return this.failed(request, 'DEADLINE_EXCEEDED', `The ${name} service did not answer within ${timeoutMs} ms.`);
      }
      log.warn({ subgraph: name, requestId: context?.requestId }, 'subgraph unreachable');
      return this.failed(request, 'UNAVAILABLE', `The ${name} service is unavailable; retry later.`);
    }

    const answer = await this.readBody(response);
    if (answer) {
      const failed = answer.errors?.length ? String(answer.errors[0]?.extensions?.code ?? 'INTERNAL') : 'OK';
      return { response: { data: answer.data ?? undefined, errors: answer.errors, extensions: answer.extensions }, outcome: failed };
    }
    log.warn({ subgraph: name, requestId: context?.requestId, status: response.status }, 'subgraph answered without GraphQL');
    return this.failed(request, 'UNAVAILABLE', `The ${name} service is unavailable; retry later.`);
  }

  /** The response as GraphQL, or null when it is not GraphQL (proxy error page, crash, ...). */
  private async readBody(response: Response): Promise<GraphQLBody | null> {
    try {
      const body = (await response.json()) as unknown;
      if (body && typeof body === 'object' && ('data' in body || 'errors' in body)) return body as GraphQLBody;
    } catch {
      // Not JSON: treated like an unreachable subgraph below.
    }
    return null;
  }

  private failed(
    request: GraphQLDataSourceProcessOptions<GatewayContext>,
    code: StatusCode,
    message: string,
  ): { response: GatewayGraphQLResponse; outcome: string } {
    const operation = 'document' in request && request.document ? request.document : (request.request.query ?? '');
    return { response: { errors: fieldErrorsForFailedFetch(operation, request.request.variables, code, message) }, outcome: code };
  }
}

function isMutation(request: GraphQLDataSourceProcessOptions<GatewayContext>): boolean {
  if ('document' in request && request.document) {
    return request.document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'mutation');
  }
  // The planner writes each fetch as one operation that starts with its type.
  return /^\s*mutation\b/.test(request.request.query ?? '');
}
