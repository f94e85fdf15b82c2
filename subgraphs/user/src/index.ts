import { bootSubgraph, onShutdownSignal, runMain } from '@car-check/common';
import { loadConfig } from './config';
import { userSubgraph } from './server';

runMain('user subgraph', async () => {
  const service = await bootSubgraph(userSubgraph, loadConfig(), undefined, { fromProcessStart: true });
  onShutdownSignal(service.stop);
});
