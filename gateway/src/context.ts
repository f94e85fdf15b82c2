/** What the gateway knows about the request it serves. */
export interface GatewayContext {
  requestId: string;
}
