import { subgraphPackage } from '@car-check/common';
import { USER_SUBGRAPH, loadConfig } from './config';
import { userSubgraph } from './server';

/** How the repository's tools (npm start, the test harness, db scripts) run this subgraph; see package.json "subgraph". */
export const definition = subgraphPackage(userSubgraph, USER_SUBGRAPH, loadConfig);
