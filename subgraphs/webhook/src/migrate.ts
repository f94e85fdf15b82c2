import path from 'node:path';
import { runMain, subgraphPackageFiles } from '@car-check/service-kit';
import { migrateSubgraph } from '@car-check/subgraph-kit';
import { WEBHOOK_SUBGRAPH } from './config';

// `npm run migrate -w subgraphs/webhook` (node dist/migrate.js): the migration job of a deployment.
runMain('webhook migrations', async () => {
  await migrateSubgraph(WEBHOOK_SUBGRAPH, subgraphPackageFiles(path.join(__dirname, '..')).migrationsDir);
});
