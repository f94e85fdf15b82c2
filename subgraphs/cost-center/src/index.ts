import { bootSubgraph, onShutdownSignal, runMain } from '@car-check/common';
import { loadConfig } from './config';
import { costCenterSubgraph } from './server';

runMain('cost-center subgraph', async () => {
  const service = await bootSubgraph(costCenterSubgraph, loadConfig(), undefined, { fromProcessStart: true });
  onShutdownSignal(service.stop);
});
