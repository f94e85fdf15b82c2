import type { CallerIdentity } from '../../common/auth/identity';

/** What the gateway knows about the request it serves. */
export interface GatewayContext {
  requestId: string;
  /** Who the caller is, established from their bearer token (or anonymous). */
  caller: CallerIdentity;
  /** Aborted when the client goes away: in-flight subgraph calls stop with it. */
  signal: AbortSignal;
}
