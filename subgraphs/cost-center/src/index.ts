import { bootSubgraph } from '../../../common/server/bootSubgraph';
import { onShutdownSignal, runMain } from '../../../common/server/http';
import { loadConfig } from './config';
import { costCenterSubgraph } from './server';

runMain('cost-center subgraph', async () => {
  const service = await bootSubgraph(costCenterSubgraph, loadConfig());
  onShutdownSignal(service.stop);
});
