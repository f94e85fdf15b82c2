import { onShutdownSignal, runMain, stopWhenSupervisorGone } from '@car-check/service-kit';
import { bootSubgraph } from '@car-check/subgraph-kit';
import { loadConfig } from './config';
import { costCenterSubgraph } from './server';

runMain('cost-center subgraph', async () => {
  // Configuration first: a mistake exits 78 (no restart fixes it) before the database is touched.
  const config = loadConfig();
  stopWhenSupervisorGone();
  const service = await bootSubgraph(costCenterSubgraph, config, undefined, { fromProcessStart: true });
  onShutdownSignal(service.stop);
});
