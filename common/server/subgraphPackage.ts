import type { SubgraphConfig, SubgraphConfigSpec } from '../config/service';
import type { PrismaLike } from './bootSubgraph';
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
}

/** Erases a subgraph's own Prisma client type, which tools that treat every subgraph alike don't need. */
export function subgraphPackage<P extends PrismaLike>(
  module: DefinedSubgraph<P>,
  spec: SubgraphConfigSpec,
  loadConfig: (env?: NodeJS.ProcessEnv) => SubgraphConfig,
): SubgraphPackage {
  return { module: module as unknown as DefinedSubgraph<PrismaLike>, spec, loadConfig };
}
