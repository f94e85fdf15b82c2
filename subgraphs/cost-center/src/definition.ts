import { subgraphPackage } from '@car-check/common';
import { COST_CENTER_SUBGRAPH, loadConfig } from './config';
import { costCenterSubgraph } from './server';

/** How the repository's tools (npm start, the test harness, db scripts) run this subgraph; see package.json "subgraph". */
export const definition = subgraphPackage(costCenterSubgraph, COST_CENTER_SUBGRAPH, loadConfig);
