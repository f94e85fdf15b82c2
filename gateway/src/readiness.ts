import type { DependencyState, ReadinessReport } from '@car-check/service-kit';
import { type GatewayConfig, subgraphUrl } from './config';
import type { LoadedSupergraph } from './supergraph/source';

const CHECK_TIMEOUT_MS = 1_000;

/**
 * The gateway is ready when it can serve: it has a supergraph. Each subgraph's
 * own `/ready` is reported in the body, but a subgraph that is down does not
 * make the gateway unready: the gateway keeps serving every field that does
 * not need it, and an orchestrator must not pull every gateway out of the load
 * balancer during one subgraph's outage. With READY_REQUIRES_SUBGRAPHS=true
 * (`config.readyRequiresSubgraphs`) any subgraph down makes it 503 too.
 */
export function gatewayReadiness(config: GatewayConfig, loaded: LoadedSupergraph): ReadinessReport {
  // Resolved once: `/ready` is polled often and should not reread supergraph.yaml each time.
  const subgraphs = Object.keys(config.subgraphUrls).map(
    (name) => [name, new URL('/ready', subgraphUrl(config, name))] as const,
  );
  return async () => {
    const states = await Promise.all(
      subgraphs.map(async ([name, url]) => {
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
          return [name, response.ok ? 'up' : 'down'] as const;
        } catch {
          return [name, 'down'] as const;
        }
      }),
    );
    const supergraph: DependencyState = loaded.hash ? 'up' : 'down';
    const dependencies: Record<string, DependencyState> = { supergraph, ...Object.fromEntries(states) };
    const ready = config.readyRequiresSubgraphs
      ? Object.values(dependencies).every((state) => state === 'up')
      : supergraph === 'up';
    return { ready, dependencies };
  };
}
