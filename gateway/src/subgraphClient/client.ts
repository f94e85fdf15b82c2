import type { ClientLayer, Send, SubgraphClient, SubgraphTarget } from './fetch';
import { httpCall } from './http';
import { CLIENT_LAYERS } from './layers';

/** The plain HTTP call to one subgraph, wrapped by each layer, the first of the list outermost. */
export function subgraphClient(
  subgraph: SubgraphTarget,
  layers: readonly ClientLayer[] = CLIENT_LAYERS,
  transport = httpCall(subgraph),
): SubgraphClient {
  const send = layers.reduceRight<Send>((next, layer) => layer.wrap(next, subgraph), transport.send);
  return { send, close: () => transport.close() };
}
