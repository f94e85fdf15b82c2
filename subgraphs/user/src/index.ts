import { onShutdownSignal, runMain, stopWhenSupervisorGone } from '@car-check/service-kit';
import { bootSubgraph } from '@car-check/subgraph-kit';
import { loadConfig } from './config';
import { userSubgraph } from './server';

runMain('user subgraph', async () => {
  // Configuration first: a mistake exits 78 (no restart fixes it) before the database is touched.
  const config = loadConfig();
  stopWhenSupervisorGone();
  const service = await bootSubgraph(userSubgraph, config, undefined, { fromProcessStart: true });
  onShutdownSignal(service.stop);
});
