import type { SubgraphConfig } from '../../common/config/service';
import type { PrismaLike } from '../../common/server/bootSubgraph';
import type { DefinedSubgraph } from '../../common/server/defineSubgraph';
import { loadConfig as carConfig } from '../../subgraphs/car/src/config';
import { carSubgraph } from '../../subgraphs/car/src/server';
import { loadConfig as costCenterConfig } from '../../subgraphs/cost-center/src/config';
import { costCenterSubgraph } from '../../subgraphs/cost-center/src/server';
import { loadConfig as userConfig } from '../../subgraphs/user/src/config';
import { userSubgraph } from '../../subgraphs/user/src/server';

export interface SubgraphEntry {
  module: DefinedSubgraph<PrismaLike>;
  loadConfig(env?: NodeJS.ProcessEnv): SubgraphConfig;
}

/** Every subgraph by its name in supergraph.yaml, for the repo's command-line tools. */
export const SUBGRAPH_CATALOG: Record<string, SubgraphEntry> = {
  car: { module: carSubgraph as unknown as DefinedSubgraph<PrismaLike>, loadConfig: carConfig },
  'cost-center': { module: costCenterSubgraph as unknown as DefinedSubgraph<PrismaLike>, loadConfig: costCenterConfig },
  user: { module: userSubgraph as unknown as DefinedSubgraph<PrismaLike>, loadConfig: userConfig },
};

/** The subgraphs a command should act on: `--subgraph NAME` or all of them. */
export function selectSubgraphs(name: string | undefined): [string, SubgraphEntry][] {
  if (name === undefined) return Object.entries(SUBGRAPH_CATALOG);
  const entry = SUBGRAPH_CATALOG[name];
  if (!entry) throw new Error(`Unknown subgraph "${name}"; expected one of ${Object.keys(SUBGRAPH_CATALOG).join(', ')}.`);
  return [[name, entry]];
}
