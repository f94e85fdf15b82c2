import type { HTTPGraphQLResponse } from '@apollo/server';
import { callerKey, type CallerIdentity, outcomeOf } from '@car-check/service-kit';
import type { WireAnswer } from '../inflightRegistry';
import type { WorkerInflight } from './workerInflight';

/** An answer several callers can be given: its status, headers and complete body. */
export interface SharedAnswer {
  status: number;
  headers: [string, string][];
  body: string;
  /** The body encoded once, for every follower (an 87 KB answer is not re-encoded per caller). */
  readonly bytes: Buffer;
  /** `OK`, or the code of the first error (outcomeOf), for the followers' log lines and metrics. */
  outcome: string;
  /** How many errors it has. */
  errors: number;
}

/**
 * Inbound deduplication: identical queries in flight at the same time share
 * one execution. Identical means the same document, operation name and
 * variables, asked by the same caller as far as the answer can tell: the
 * same user, with the same scopes, or the same service (so two callers whose
 * authorization differs never share an answer). Mutations are never shared,
 * and nothing is cached: once the execution ends, the next request runs anew.
 *
 * In a clustered gateway the first of a worker's identical queries also asks
 * the other workers (through the primary, inflightRegistry.ts) and waits for
 * the answer of the one already running it, if any.
 */
export class InflightQueries {
  private readonly running = new Map<string, Promise<SharedAnswer | null>>();

  /** @param workers the other workers of a clustered gateway; none in a gateway of one process. */
  constructor(private readonly workers?: WorkerInflight) {}

  /** The key of a query, or null when it must run on its own. */
  static keyOf(
    hash: string,
    operationName: string | undefined,
    variables: Record<string, unknown>,
    caller: CallerIdentity,
    accept: string | undefined,
  ): string {
    return `${hash}|${operationName ?? ''}|${accept ?? ''}|${callerKey(caller)}|${JSON.stringify(variables)}`;
  }

  /**
   * Runs `execute` unless an identical query is already running, in which
   * case it waits for that one's answer. `leader` is true for the caller that
   * ran it. An answer that cannot be shared (streamed) is null for followers,
   * who then run on their own. A worker waits for another's answer at most
   * until `waitUntil` (epoch ms, the request's deadline), then runs it itself.
   * Only an `operation` (the parsed operation, one object per document) whose
   * executions are slow enough is asked about (WorkerInflight.worthAsking).
   */
  async run(
    key: string,
    execute: () => Promise<HTTPGraphQLResponse>,
    waitUntil = Infinity,
    operation?: object,
  ): Promise<{ leader: true; response: HTTPGraphQLResponse } | { leader: false; answer: SharedAnswer | null }> {
    const running = this.running.get(key);
    if (running) return { leader: false, answer: await running };
    let settle!: (answer: SharedAnswer | null) => void;
    this.running.set(key, new Promise((resolve) => (settle = resolve)));
    let finish: ((answer: WireAnswer | null) => void) | undefined;
    try {
      if (this.workers && operation && this.workers.worthAsking(operation)) {
        const claim = await this.workers.claim(key, waitUntil);
        if (claim.lead) finish = claim.finish;
        else {
          const wire = await claim.answer;
          if (wire) {
            const answer = sharedAnswer(wire);
            settle(answer);
            return { leader: false, answer };
          }
          // Not shareable (streamed), its worker gone, or too late: run it here.
        }
      }
      const started = performance.now();
      const response = await execute();
      if (operation) this.workers?.observe(operation, performance.now() - started);
      const answer = shareable(response);
      settle(answer);
      finish?.(answer && wireAnswer(answer));
      return { leader: true, response };
    } catch (error) {
      settle(null);
      finish?.(null);
      throw error;
    } finally {
      this.running.delete(key);
    }
  }

  get size(): number {
    return this.running.size;
  }
}

function shareable(response: HTTPGraphQLResponse): SharedAnswer | null {
  if (response.body.kind !== 'complete') return null;
  const body = response.body.string;
  const errors = errorsOf(body);
  return sharedAnswer({
    status: response.status ?? 200,
    headers: [...response.headers],
    body,
    outcome: outcomeOf(errors),
    errors: errors?.length ?? 0,
  });
}

/** An answer as this worker's followers share it: encoded once, for all of them. */
function sharedAnswer(answer: WireAnswer): SharedAnswer {
  let bytes: Buffer | undefined;
  return {
    ...answer,
    get bytes() {
      return (bytes ??= Buffer.from(answer.body));
    },
  };
}

/** What another worker needs of an answer: all but its encoded bytes. */
function wireAnswer({ status, headers, body, outcome, errors }: SharedAnswer): WireAnswer {
  return { status, headers, body, outcome, errors };
}

/**
 * The response's own `errors` (not anything in its `data` that looks like them); parsed only when
 * there may be some. Apollo Server writes `errors` before `data` (its orderExecutionResultFields),
 * so an answer that starts with `data` has none, and is not searched: searching the benchmark's
 * 87 KB answer for `"errors"` was 3 % of a worker's time.
 */
function errorsOf(body: string): { extensions?: Record<string, unknown> }[] | undefined {
  if (body.startsWith('{"data":') || !body.includes('"errors"')) return undefined;
  try {
    const { errors } = JSON.parse(body) as { errors?: unknown };
    return Array.isArray(errors) ? (errors as { extensions?: Record<string, unknown> }[]) : undefined;
  } catch {
    return [{}];
  }
}
