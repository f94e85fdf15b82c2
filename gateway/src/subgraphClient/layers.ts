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
 * what a layer needs to know about a subgraph comes in its SubgraphTarget.
 */
export const CLIENT_LAYERS: readonly ClientLayer[] = [
  metrics, // counts and records each fetch once, a retry inside its duration
  span, // one CLIENT span per fetch; its traceparent goes to the subgraph
  deadline, // the subgraph's or the request's deadline, whichever comes first
  retry, // a query whose connection dropped, once
  deduplication, // identical query fetches in flight share one call (SubgraphTarget.deduplicate)
  signature, // the caller's identity and the deadline, signed for this subgraph (every attempt)
];
