import cluster from 'node:cluster';
import { createLogger } from '../../common/logging/logger';
import { runPrimary } from './cluster';
import { listen, onShutdownSignal, runMain } from '../../common/server/http';
import { loadGatewayConfig } from './config';
import { buildGateway } from './server';

runMain('gateway', async () => {
  const config = loadGatewayConfig();
  const log = createLogger({ service: 'gateway', level: config.logLevel, pretty: config.prettyLogs });
  // WORKERS > 1: this process only supervises; each worker runs the code below.
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, log);
  const { app, apollo } = await buildGateway(config, log);
  const running = await listen(app, config.host, config.port);
  log.info({ url: `${running.url}/graphql` }, 'gateway ready');
  onShutdownSignal(async () => {
    log.info('shutting down: no new connections, finishing requests in flight');
    await running.close(config.shutdownGraceMs);
    await apollo.stop();
    log.info('gateway stopped');
  });
});
