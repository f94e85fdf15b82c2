import { watch, type FSWatcher } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compose, readSupergraphConfig, REPO_ROOT } from './compose';

export interface SdlWatchOptions {
  /** Each subgraph's SDL file, by subgraph name. */
  schemaFiles: Record<string, string>;
  /** The supergraph the gateway serves (it polls the file and picks up a new one). */
  supergraphPath: string;
  configPath?: string;
  /** Restarts a subgraph so that it serves its new SDL. */
  restart(subgraph: string): Promise<void>;
  log(line: string): void;
  /** Edits arrive as bursts of events (save, rename, touch); act once they settle. */
  settleMs?: number;
}

/**
 * `npm run dev`: when a subgraph's SDL changes, restart that subgraph and recompose
 * the supergraph. The order is the production rollout's (deploy the subgraph, then
 * publish the supergraph); the gateway takes the new supergraph once the restarted
 * subgraph serves what it expects. A composition error is printed and the old
 * supergraph kept, so a half-typed SDL never takes the graph down.
 */
export function watchSubgraphSdl(options: SdlWatchOptions): { close(): void } {
  const settleMs = options.settleMs ?? 300;
  const timers = new Map<string, NodeJS.Timeout>();
  const watchers: FSWatcher[] = [];
  let queue = Promise.resolve();

  const changed = (subgraph: string) => {
    clearTimeout(timers.get(subgraph));
    timers.set(
      subgraph,
      setTimeout(() => {
        timers.delete(subgraph);
        // One change at a time: two quick edits to two SDLs compose twice, in order.
        queue = queue.then(() => onChange(subgraph)).catch((error: unknown) => options.log(`dev: ${String(error)}`));
      }, settleMs),
    );
  };

  const onChange = async (subgraph: string) => {
    options.log(`dev: ${path.relative(REPO_ROOT, options.schemaFiles[subgraph]!)} changed; restarting ${subgraph}`);
    await options.restart(subgraph);
    const outcome = compose(await readSupergraphConfig(options.configPath));
    if (!outcome.ok) {
      for (const error of outcome.errors) options.log(`dev: composition error: ${error}`);
      options.log('dev: the gateway keeps the last supergraph that composed; fix the SDL and save again');
      return;
    }
    const current = await readFile(options.supergraphPath, 'utf8').catch(() => '');
    if (current === outcome.supergraphSdl) {
      options.log('dev: the supergraph is unchanged');
      return;
    }
    await writeFile(options.supergraphPath, outcome.supergraphSdl);
    options.log(`dev: recomposed ${path.relative(REPO_ROOT, options.supergraphPath)}; the gateway switches once ${subgraph} serves it`);
  };

  for (const [subgraph, file] of Object.entries(options.schemaFiles)) {
    // The folder, not the file: editors that save by rename would leave a file watcher on the old inode.
    const watcher = watch(path.dirname(file), (_event, name) => {
      if (name === path.basename(file)) changed(subgraph);
    });
    watchers.push(watcher);
  }
  return {
    close() {
      for (const watcher of watchers) watcher.close();
      for (const timer of timers.values()) clearTimeout(timer);
    },
  };
}
