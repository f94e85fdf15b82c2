import { ANONYMOUS, signRequest } from '@car-check/service-kit';
import type { ClientLayer } from '../fetch';

/**
 * Signs each call (every attempt afresh): the identity is the one the gateway
 * verified, signed for this method, path, body and subgraph, with the request's
 * ids, its deadline (so the subgraph stops working when nobody waits any more)
 * and, for a mutation, the client's Idempotency-Key.
 */
export const signature: ClientLayer = {
  name: 'signature',
  wrap: (next, subgraph) => {
    const path = `${subgraph.url.pathname}${subgraph.url.search}`;
    return async (fetch) => {
      const { context } = fetch;
      const signed = await signRequest(
        context?.caller ?? ANONYMOUS,
        { method: 'POST', url: path, body: fetch.body },
        subgraph.signingSecret,
        {
          audience: subgraph.name,
          requestId: context?.requestId,
          clientRequestId: context?.clientRequestId,
          // A stream (subscription) lives as long as its subscriber: no deadline for the subgraph to stop at.
          deadline: fetch.stream ? undefined : fetch.deadlineAt,
          ...(context?.idempotencyKey && fetch.mutation ? { idempotencyKey: context.idempotencyKey } : {}),
        },
      ).catch(() => null);
      // The client never throws: a call it cannot sign is one that could not be made.
      if (!signed) return { kind: 'unreachable' };
      Object.assign(fetch.headers, signed);
      return next(fetch);
    };
  },
};
