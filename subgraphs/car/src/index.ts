import { bootSubgraph } from '../../../common/server/bootSubgraph';
import { onShutdownSignal, runMain } from '../../../common/server/http';
import { loadConfig } from './config';
import { carSubgraph } from './server';

runMain('car subgraph', async () => {
  const service = await bootSubgraph(carSubgraph, loadConfig());
  onShutdownSignal(service.stop);
});
