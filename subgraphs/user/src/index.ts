import { bootSubgraph } from '../../../common/server/bootSubgraph';
import { onShutdownSignal, runMain } from '../../../common/server/http';
import { loadConfig } from './config';
import { userSubgraph } from './server';

runMain('user subgraph', async () => {
  const service = await bootSubgraph(userSubgraph, loadConfig());
  onShutdownSignal(service.stop);
});
