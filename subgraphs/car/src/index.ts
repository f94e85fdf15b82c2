import { bootSubgraph, onShutdownSignal, runMain } from '@car-check/common';
import { loadConfig } from './config';
import { carSubgraph } from './server';

runMain('car subgraph', async () => {
  const service = await bootSubgraph(carSubgraph, loadConfig(), undefined, { fromProcessStart: true });
  onShutdownSignal(service.stop);
});
