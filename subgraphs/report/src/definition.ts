import { subgraphPackage } from '@car-check/subgraph-kit';
import { REPORT_SUBGRAPH, loadConfig } from './config';

/** How the repository's tools (npm start, the test harness, db scripts) run this subgraph; see package.json "subgraph". */
export const definition = subgraphPackage(
  // Required on first use, not at import (see subgraphPackage).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  () => (require('./server') as typeof import('./server')).reportSubgraph,
  REPORT_SUBGRAPH,
  loadConfig,
);
