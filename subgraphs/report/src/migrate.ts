import path from 'node:path';
import { runMain, subgraphPackageFiles } from '@car-check/service-kit';
import { migrateSubgraph } from '@car-check/subgraph-kit';
import { REPORT_SUBGRAPH } from './config';

// `npm run migrate -w subgraphs/report` (node dist/migrate.js): the migration job of a deployment.
runMain('report migrations', async () => {
  await migrateSubgraph(REPORT_SUBGRAPH, subgraphPackageFiles(path.join(__dirname, '..')).migrationsDir);
});
