import path from 'node:path';
import { runMain, subgraphPackageFiles } from '@car-check/service-kit';
import { migrateSubgraph } from '@car-check/subgraph-kit';
import { COST_CENTER_SUBGRAPH } from './config';

// `npm run migrate -w subgraphs/cost-center` (node dist/migrate.js): the migration job of a deployment.
runMain('cost-center migrations', async () => {
  await migrateSubgraph(COST_CENTER_SUBGRAPH, subgraphPackageFiles(path.join(__dirname, '..')).migrationsDir);
});
