/** The subgraphs of this repo, as named in supergraph.yaml and under prisma/ and subgraphs/. */
export const SUBGRAPH_NAMES = ['car', 'cost-center', 'user'] as const;

export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];
