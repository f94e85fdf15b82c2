import { routingUrlOf } from '../../common/config/routing';
import type { DependencyState } from '../../common/server/health';
import type { GatewayConfig } from './config';
import type { LoadedSupergraph } from './supergraph/source';

const CHECK_TIMEOUT_MS = 1_000;

/**
 * The gateway is ready when it has a supergraph and every subgraph says it is
 * ready. It keeps serving either way (fields of a subgraph that is not ready
 * fail on their own); `/ready` is how an operator sees which one is missing.
 */
export function gatewayReadiness(config: GatewayConfig, loaded: LoadedSupergraph): () => Promise<Record<string, DependencyState>> {
  // Resolved once: `/ready` is polled often and should not reread supergraph.yaml each time.
  const subgraphs = Object.entries(config.subgraphUrls).map(
    ([name, url]) => [name, new URL('/ready', url ?? routingUrlOf(name))] as const,
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
    return { supergraph: loaded.hash ? 'up' : 'down', ...Object.fromEntries(states) };
  };
}
