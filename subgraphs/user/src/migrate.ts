import path from 'node:path';
import { runMain, subgraphPackageFiles } from '@car-check/service-kit';
import { migrateSubgraph } from '@car-check/subgraph-kit';
import { USER_SUBGRAPH } from './config';

// `npm run migrate -w subgraphs/user` (node dist/migrate.js): the migration job of a deployment.
runMain('user migrations', async () => {
  await migrateSubgraph(USER_SUBGRAPH, subgraphPackageFiles(path.join(__dirname, '..')).migrationsDir);
});
