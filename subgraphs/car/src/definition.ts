import { subgraphPackage } from '@car-check/common';
import { CAR_SUBGRAPH, loadConfig } from './config';
import { carSubgraph } from './server';

/** How the repository's tools (npm start, the test harness, db scripts) run this subgraph; see package.json "subgraph". */
export const definition = subgraphPackage(carSubgraph, CAR_SUBGRAPH, loadConfig);
