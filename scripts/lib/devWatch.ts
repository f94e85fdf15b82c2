import { watch, type FSWatcher } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compose, readSupergraphConfig, REPO_ROOT } from './compose';
import { committedSupergraph, type PublishedSupergraph } from './publishedSupergraph';
import { breaksClients, compareWithPublished, type GraphChanges } from './schemaCheck';

export interface SdlWatchOptions {
  /** Each subgraph's SDL file, by subgraph name: the one its team edits. */
  schemaFiles: Record<string, string>;
  /** Files every subgraph's SDL is made from as well (the shared types): a change to one is a change to each. */
  sharedFiles?: string[];
  /**
   * Writes the SDL the subgraph serves from the files above (see subgraphSdl.ts); false when it
   * is unchanged (a shared type it does not use), and then nothing restarts. Without it, the
   * edited file is the one served.
   */
  generate?(subgraph: string): Promise<boolean>;
  /** The supergraph the gateway serves (it polls the file and picks up a new one). */
  supergraphPath: string;
  configPath?: string;
  /** Restarts a subgraph so that it serves its new SDL. */
  restart(subgraph: string): Promise<void>;
  log(line: string): void;
  /** Edits arrive as bursts of events (save, rename, touch); act once they settle. */
  settleMs?: number;
  /** The supergraph clients were last given (default: see publishedBaseline). */
  published?: () => Promise<PublishedSupergraph | null>;
  /** The client operations a recomposed supergraph must still serve (default: clientOperationFiles()). */
  operationFiles?: string[];
}

/**
 * `npm run dev`: when a subgraph's SDL changes, regenerate the SDL it serves, restart it and recompose
 * the supergraph. The order is the production rollout's (deploy the subgraph, then
 * publish the supergraph); the gateway takes the new supergraph once the restarted
 * subgraph serves what it expects. A composition error is printed and the old
 * supergraph kept, so a half-typed SDL never takes the graph down. A supergraph that
 * breaks clients of the published one is served all the same (this is dev), under a
 * loud warning that names the changes and the client operations they break.
 */
export function watchSubgraphSdl(options: SdlWatchOptions): { close(): void } {
  const settleMs = options.settleMs ?? 300;
  const timers = new Map<string, NodeJS.Timeout>();
  const watchers: FSWatcher[] = [];
  let queue = Promise.resolve();
  const published = options.published ?? publishedBaseline(options.supergraphPath);
  let breaking = false;

  const changed = (subgraph: string, file: string) => {
    clearTimeout(timers.get(subgraph));
    timers.set(
      subgraph,
      setTimeout(() => {
        timers.delete(subgraph);
        // One change at a time: two quick edits to two SDLs compose twice, in order.
        queue = queue
          .then(() => onChange(subgraph, file))
          .catch((error: unknown) => options.log(`dev: ${String(error)}`));
      }, settleMs),
    );
  };

  /** Regenerates the served SDL; false when there is nothing to restart (unchanged, or it cannot be made). */
  const generated = async (subgraph: string): Promise<boolean> => {
    if (!options.generate) return true;
    try {
      return await options.generate(subgraph);
    } catch (error) {
      options.log(`dev: ${subgraph}'s SDL: ${error instanceof Error ? error.message : String(error)}`);
      options.log(`dev: ${subgraph} keeps serving its last SDL; fix it and save again`);
      return false;
    }
  };

  const onChange = async (subgraph: string, file: string) => {
    if (!(await generated(subgraph))) return;
    options.log(`dev: ${path.relative(REPO_ROOT, file)} changed; restarting ${subgraph}`);
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
    options.log(
      `dev: recomposed ${path.relative(REPO_ROOT, options.supergraphPath)}; the gateway switches once ${subgraph} serves it`,
    );
    await warnIfBreaking(subgraph, outcome.supergraphSdl);
  };

  const warnIfBreaking = async (subgraph: string, supergraphSdl: string) => {
    const baseline = await published();
    if (!baseline) return;
    const changes = await compareWithPublished(baseline, supergraphSdl, options.operationFiles).catch(
      (error: unknown) => {
        options.log(
          `dev: could not compare with the published supergraph: ${error instanceof Error ? error.message : String(error)}`,
        );
        return null;
      },
    );
    if (!changes) return;
    if (breaksClients(changes))
      for (const line of breakingWarning(changes, baseline.source, subgraph)) options.log(line);
    else if (breaking) options.log(`dev: the served supergraph no longer breaks clients of ${baseline.source}`);
    breaking = breaksClients(changes);
  };

  const subgraphs = Object.keys(options.schemaFiles);
  const watched = [
    ...Object.entries(options.schemaFiles).map(([subgraph, file]) => ({ file, subgraphs: [subgraph] })),
    ...(options.sharedFiles ?? []).map((file) => ({ file, subgraphs })),
  ];
  for (const { file, subgraphs: affected } of watched) {
    // The folder, not the file: editors that save by rename would leave a file watcher on the old inode.
    const watcher = watch(path.dirname(file), (_event, name) => {
      if (name === path.basename(file)) for (const subgraph of affected) changed(subgraph, file);
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

/**
 * The committed supergraph, read at each change (a commit during dev moves the baseline). Outside
 * a git checkout, the file as it was when dev started: dev rewrites it, and a change compared
 * with itself would look harmless. Null when there is none to compare with.
 */
function publishedBaseline(supergraphPath: string): () => Promise<PublishedSupergraph | null> {
  const atStart = committedSupergraph(supergraphPath).catch(() => null);
  return async () => {
    const now = await committedSupergraph(supergraphPath).catch(() => null);
    return now?.committed ? now : atStart;
  };
}

const RULE = `dev: ${'!'.repeat(78)}`;

/** A warning no one scrolls past: what breaks, for whom, and what to run. */
function breakingWarning(changes: GraphChanges, baseline: string, subgraph: string): string[] {
  return [
    RULE,
    `dev: WARNING: the recomposed supergraph, which the dev gateway serves, BREAKS clients of ${baseline}.`,
    ...changes.breaking.map(
      (change) => `dev:   ✖ ${change.path ? `${change.path}: ` : ''}${change.description} (${change.type})`,
    ),
    ...(changes.brokenOperations.length
      ? [`dev:   ✖ ${changes.brokenOperations.length} of ${changes.operationsChecked} client operation(s) would break:`]
      : []),
    ...changes.brokenOperations.map((op) => `dev:     - ${op.name} (${op.file}): ${op.errors[0] ?? ''}`),
    'dev: It is served because this is dev; shipped, it would break these clients.',
    `dev: Details: npm run check -- --subgraph ${subgraph}`,
    RULE,
  ];
}
