import type { Peers } from './defineSubgraph';
import type { RequestInfo } from './subgraph';

/** What a subgraph's `createContext` gets, besides the request: its data, its peers and what its set-up built. */
export interface ContextDeps<P, S = undefined> {
  prisma: P;
  peers: Peers;
  services: S;
}

/** What every subgraph's per-request context holds: the request, its Prisma client and this request's loaders. */
export interface SubgraphContext<P, L> extends RequestInfo {
  prisma: P;
  loaders: L;
}

/** The part of a context every subgraph builds alike; loaders are made afresh so no request sees another's cache. */
export function subgraphContext<P, L>(
  request: RequestInfo,
  prisma: P,
  createLoaders: (prisma: P) => L,
): SubgraphContext<P, L> {
  return { ...request, prisma, loaders: createLoaders(prisma) };
}
