import { type ClientLayer, callOutcome } from '../fetch';

/**
 * Counts every fetch in the subgraph's metrics (a merged call once, and the plan's
 * fetches it carried), and records it on the request it serves (its log line lists
 * each subgraph call with its duration and outcome).
 */
export const metrics: ClientLayer = {
  name: 'metrics',
  wrap: (next, subgraph) => async (fetch) => {
    const started = performance.now();
    const sent = await next(fetch);
    const outcome = callOutcome(sent);
    const durationMs = performance.now() - started;
    subgraph.metrics?.observeSubgraphFetch(subgraph.name, outcome, durationMs / 1000);
    if (fetch.merged) subgraph.metrics?.countMergedFetches(subgraph.name, fetch.merged);
    fetch.context?.subgraphCalls?.push({ subgraph: subgraph.name, durationMs: Math.round(durationMs), outcome });
    return sent;
  },
};
