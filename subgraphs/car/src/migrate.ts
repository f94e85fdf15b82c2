import path from 'node:path';
import { runMain, subgraphPackageFiles } from '@car-check/service-kit';
import { migrateSubgraph } from '@car-check/subgraph-kit';
import { CAR_SUBGRAPH } from './config';

// `npm run migrate -w subgraphs/car` (node dist/migrate.js): the migration job of a deployment.
runMain('car migrations', async () => {
  await migrateSubgraph(CAR_SUBGRAPH, subgraphPackageFiles(path.join(__dirname, '..')).migrationsDir);
});
