import type { CallerIdentity } from '../../common/auth/identity';
import type { SubgraphCall } from '../../common/server/requestLogPlugin';

/** What the gateway knows about the request it serves. */
export interface GatewayContext {
  requestId: string;
  /** Who the caller is, established from their bearer token (or anonymous). */
  caller: CallerIdentity;
  /** Aborted when the client goes away or the request's deadline passes: in-flight subgraph calls stop with it. */
  signal: AbortSignal;
  /** When the gateway stops waiting for subgraphs (ms since the epoch); passed on to them, signed. */
  deadline: number;
  /** The client's Idempotency-Key: passed (signed) with each mutation to its subgraph. */
  idempotencyKey: string | null;
  /** Each subgraph call made for this request, for its log line. */
  subgraphCalls: SubgraphCall[];
}
