import { onShutdownSignal, runMain, stopWhenSupervisorGone } from '@car-check/service-kit';
import { checkEventKeys, type SubgraphConfig, type SubgraphConfigSpec } from '../config/service';
import { bootSubgraph, type PrismaLike } from './bootSubgraph';
import type { DefinedSubgraph } from './defineSubgraph';

/**
 * What a subgraph package hands the repository's tools (`npm start`, the test
 * harness, the db:* scripts): exported as `definition` from the module its
 * package.json names under "subgraph.definition". Tools load it by name through
 * the registry (supergraph.yaml), so they never import a subgraph by path, and a
 * subgraph's tests load nothing of the others.
 */
export interface SubgraphPackage {
  module: DefinedSubgraph<PrismaLike>;
  spec: SubgraphConfigSpec;
  loadConfig(env?: NodeJS.ProcessEnv): SubgraphConfig;
  /** Readers of the variables only its tools read (db:seed's SEED_PASSWORD), for the configuration reference. */
  toolConfig: ReadonlyArray<(env: NodeJS.ProcessEnv) => unknown>;
}

/**
 * A subgraph's package for the tools. Its module (SDL, resolvers, Prisma client) is
 * loaded on first use only: `npm start`'s checks read every subgraph's configuration
 * but never need their code (the subgraph host, which runs them, loads it).
 * The module's own Prisma client type is erased: tools treat every subgraph alike.
 */
export function subgraphPackage<P extends PrismaLike>(
  load: () => DefinedSubgraph<P>,
  spec: SubgraphConfigSpec,
  loadConfig: (env?: NodeJS.ProcessEnv) => SubgraphConfig,
  toolConfig: ReadonlyArray<(env: NodeJS.ProcessEnv) => unknown> = [],
): SubgraphPackage {
  let module: DefinedSubgraph<PrismaLike> | undefined;
  return {
    spec,
    // Its own settings first, then its event keys: so every tool, and `npm start`'s check, refuses a missing key up front.
    loadConfig: (env = process.env) => {
      const config = loadConfig(env);
      checkEventKeys(spec, env, config.production);
      return config;
    },
    toolConfig,
    get module() {
      module ??= load() as unknown as DefinedSubgraph<PrismaLike>;
      return module;
    },
  };
}

/**
 * A subgraph's process (`node dist/index.js`, `npm start`): its whole start, so that each
 * subgraph's src/index.ts is one call. Configuration first: a mistake exits 78 (no restart
 * fixes it) before its code is loaded or its database touched. Then it stops when its
 * supervisor is gone, opens and migrates its database, serves, and drains on SIGTERM/SIGINT.
 */
export function startSubgraph(subgraph: SubgraphPackage): void {
  runMain(`${subgraph.spec.name} subgraph`, async () => {
    const config = subgraph.loadConfig();
    stopWhenSupervisorGone();
    const service = await bootSubgraph(subgraph.module, config, undefined, { fromProcessStart: true });
    onShutdownSignal(service.stop);
  });
}
