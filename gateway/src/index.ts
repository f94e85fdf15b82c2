import cluster from 'node:cluster';
import {
  createLogger,
  ensurePortFree,
  listen,
  onShutdownSignal,
  runMain,
  shutdownTracing,
  stopWhenSupervisorGone,
} from '@car-check/service-kit';
import { runPrimary } from './cluster';
import { loadGatewayConfig } from './config';
import { buildGateway } from './server';

runMain('gateway', async () => {
  const config = loadGatewayConfig();
  // Started by `npm start`: stop (as on SIGTERM) should the supervisor die.
  if (cluster.isPrimary) stopWhenSupervisorGone();
  const log = createLogger({ service: 'gateway', level: config.logLevel, pretty: config.prettyLogs });
  // Once per gateway (workers share the primary's port).
  if (cluster.isPrimary) await ensurePortFree(config.host, config.port, 'GATEWAY_PORT');
  // WORKERS > 1: this process only supervises; each worker runs the code below.
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, log);
  const { app, apollo, subscriptions } = await buildGateway(config, log);
  const running = await listen(app, config.host, config.port);
  subscriptions.attach(running.server);
  log.info({ url: `${running.url}/graphql` }, 'gateway ready');
  onShutdownSignal(async () => {
    log.info('shutting down: refusing new requests (503), finishing those in flight');
    // Streams never finish by themselves: each ends now with the cursor its client resumes from.
    await subscriptions.close(config.shutdownGraceMs);
    await running.close(config.shutdownGraceMs);
    await apollo.stop();
    // The last spans (those of the requests just finished) go out before the process exits.
    await shutdownTracing();
    log.info('gateway stopped');
  });
});
