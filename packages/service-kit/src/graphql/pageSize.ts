/**
 * The page a subgraph serves when a client leaves `first` out. Here, not beside the
 * subgraphs' paging, because the gateway's cost model sizes such lists by it too.
 */
export const DEFAULT_PAGE_SIZE = 20;
