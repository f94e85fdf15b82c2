import { ConfiguredList } from '../configuredList';
import type { ClientLayer } from './fetch';
import { deadline } from './layers/deadline';
import { deduplication } from './layers/deduplication';
import { metrics } from './layers/metrics';
import { retry } from './layers/retry';
import { signature } from './layers/signature';
import { span } from './layers/span';

/**
 * The subgraph client's layers, outermost first, around the plain HTTP call
 * (http.ts). A fetch goes down this list, its answer comes back up. Adding a
 * behaviour is one file in layers/ and one line here (docs/gateway-seams.md);
 * its variables join the gateway's configuration by themselves.
 */
export const CLIENT_LAYERS = ConfiguredList.empty<ClientLayer, void>()
  .add(metrics) // counts and records each fetch once, a retry inside its duration
  .add(span) // one CLIENT span per fetch; its traceparent goes to the subgraph
  .add(deadline) // the subgraph's or the request's deadline, whichever comes first
  .add(retry) // a query whose connection dropped, once
  .add(deduplication) // identical query fetches in flight share one call
  .add(signature); // the caller's identity and the deadline, signed for this subgraph (every attempt)

/** The configuration of every client layer (part of GatewayConfig). */
export type LayerConfig = ReturnType<typeof CLIENT_LAYERS.readConfig>;

/** The layers with their defaults, for a client built outside the gateway (tools, tests). */
export const defaultClientLayers = (): ClientLayer[] =>
  CLIENT_LAYERS.create(CLIENT_LAYERS.readConfig({}, { production: false }));
