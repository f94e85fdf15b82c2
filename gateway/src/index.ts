import cluster from 'node:cluster';
// The process entry only: a primary never loads what serving needs (the kit's main entry, Apollo).
import {
  createLogger,
  ensurePortFree,
  onShutdownSignal,
  runMain,
  stopWhenSupervisorGone,
} from '@car-check/service-kit/process';
import { runPrimary } from './cluster';
import { boundHeapGrowth } from './heap';
import { loadProcessConfig, type ProcessConfig } from './processConfig';

/** The process's own variables; when one is wrong, the whole configuration's message, which names every problem. */
async function processConfig(): Promise<ProcessConfig> {
  try {
    return loadProcessConfig();
  } catch (error) {
    (await import('./config')).loadGatewayConfig();
    throw error;
  }
}

runMain('gateway', async () => {
  const settings = await processConfig();
  // Every gateway process: the primary, each worker, or the one process serving alone.
  boundHeapGrowth(settings.heapGrowingPercent);
  // Started by `npm start`: stop (as on SIGTERM) should the supervisor die.
  if (cluster.isPrimary) stopWhenSupervisorGone();
  const log = createLogger({ service: 'gateway', level: settings.logLevel, pretty: settings.prettyLogs });
  // Once per gateway (workers share the primary's port).
  if (cluster.isPrimary) await ensurePortFree(settings.host, settings.port, 'GATEWAY_PORT');
  // WORKERS > 1: this process only supervises, and never loads the request path below (cluster.ts).
  if (settings.workers > 1 && cluster.isPrimary) return runPrimary(settings, log);
  const { listen, shutdownTracing } = await import('@car-check/service-kit');
  const config = (await import('./config')).loadGatewayConfig();
  const { buildGateway } = await import('./server');
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
