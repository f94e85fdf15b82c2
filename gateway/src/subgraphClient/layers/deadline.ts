import type { ClientLayer } from '../fetch';

/**
 * This call's deadline: the subgraph's own, or the request's if that comes
 * first; the call is also stopped when the request is abandoned (its client
 * hung up, or its deadline passed). The HTTP call stops at it, the signature
 * carries it to the subgraph.
 */
export const deadline: ClientLayer = {
  name: 'deadline',
  wrap: (next, subgraph) => (fetch) => {
    fetch.deadlineAt = Math.min(Date.now() + subgraph.timeoutMs, fetch.context?.deadline ?? Number.POSITIVE_INFINITY);
    fetch.signal = fetch.context?.signal;
    return next(fetch);
  },
};
