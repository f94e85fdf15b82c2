import { readFile } from 'node:fs/promises';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { type Logger, sha256Hex } from '@car-check/service-kit';
import { supergraphForGateway } from '../auth/securityFeatures';
import type { NotDeployed } from './deployedCheck';

interface SupergraphSourceOptions {
  /** A file (the committed supergraph.graphql by default) ... */
  path: string;
  /** ... or a URL serving the supergraph SDL, which wins when set. */
  url?: string;
  /** How often to look for a new supergraph; 0 turns hot reload off. */
  pollMs: number;
  log: Logger;
  /**
   * Before a new supergraph is taken: why the running subgraphs cannot serve
   * it yet, or null. While it says why, the current supergraph keeps serving
   * and the new one is retried at the next poll.
   */
  checkDeployed?: (supergraphSdl: string) => Promise<NotDeployed | null>;
  /** Told whenever a supergraph starts or stops waiting for its subgraphs. */
  onPending?: (pending: boolean) => void;
}

// Asking every subgraph for its SDL is cheap, but not worth doing every poll while nothing changes.
const RECHECK_PENDING_MS = 2_000;

/** What the gateway serves right now, for `/ready`. */
export interface LoadedSupergraph {
  hash: string | null;
  loadedAt: Date | null;
  /** A newer supergraph waiting for its subgraphs to be deployed, and what they lack. */
  pending?: { hash: string; since: Date; subgraphs: NotDeployed['subgraphs'] } | null;
}

/**
 * Apollo Gateway's supergraph hook: loads the supergraph, then polls its source
 * and hands every new version to the gateway. The gateway swaps it in
 * atomically (requests already planned finish on the old one); a version it
 * refuses (invalid SDL, failed validation) is logged once and the old one keeps
 * serving.
 */
export function supergraphSource(options: SupergraphSourceOptions, loaded: LoadedSupergraph): SupergraphSdlHook {
  const read = async (): Promise<string> => {
    if (!options.url) return readFile(options.path, 'utf8');
    const response = await fetch(options.url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${options.url} answered HTTP ${response.status}`);
    return response.text();
  };
  const where = options.url ?? options.path;

  return async ({ update }) => {
    const initial = await read();
    loaded.hash = sha256Hex(initial);
    loaded.loadedAt = new Date();
    let refused: string | null = null;
    let lastCheck = 0;
    let polling = false;

    const poll = async () => {
      if (polling) return;
      polling = true;
      try {
        const next = await read();
        const hash = sha256Hex(next);
        if (hash === loaded.hash && loaded.pending) {
          // The waiting supergraph was withdrawn: nothing is pending any more.
          loaded.pending = null;
          options.onPending?.(false);
        }
        if (hash === loaded.hash || hash === refused) return;
        // A supergraph already waiting is checked again every few seconds, not at every poll.
        if (loaded.pending?.hash === hash && Date.now() - lastCheck < RECHECK_PENDING_MS) return;
        lastCheck = Date.now();
        const waiting = await options.checkDeployed?.(next).catch(() => null);
        if (waiting) {
          if (loaded.pending?.hash !== hash) {
            options.log.warn(
              { source: where, hash, notDeployed: waiting.subgraphs },
              'a new supergraph waits for its subgraphs to be deployed; still serving the current one',
            );
            loaded.pending = { hash, since: new Date(), subgraphs: waiting.subgraphs };
            options.onPending?.(true);
          } else {
            loaded.pending.subgraphs = waiting.subgraphs;
          }
          return;
        }
        if (loaded.pending) {
          loaded.pending = null;
          options.onPending?.(false);
        }
        try {
          update(supergraphForGateway(next));
          options.log.info({ source: where, hash, previous: loaded.hash }, 'loaded a new supergraph');
          loaded.hash = hash;
          loaded.loadedAt = new Date();
          refused = null;
        } catch (error) {
          refused = hash;
          options.log.error(
            { source: where, hash, err: error },
            'refused a new supergraph; still serving the previous one',
          );
        }
      } catch (error) {
        options.log.warn(
          { source: where, err: error },
          'could not read the supergraph source; still serving the current one',
        );
      } finally {
        polling = false;
      }
    };

    const timer = options.pollMs > 0 ? setInterval(() => void poll(), options.pollMs) : undefined;
    timer?.unref();
    return {
      supergraphSdl: supergraphForGateway(initial),
      cleanup: async () => clearInterval(timer),
    };
  };
}
