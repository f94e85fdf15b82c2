/** What the gateway knows about the request it serves. */
export interface GatewayContext {
  requestId: string;
  /** Aborted when the client goes away: in-flight subgraph calls stop with it. */
  signal: AbortSignal;
}
