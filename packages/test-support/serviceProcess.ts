import { spawn } from 'node:child_process';
import path from 'node:path';
import { waitForHealthy } from '../../scripts/lib/waitForHealthy';

const ROOT = path.resolve(__dirname, '..', '..');

/** A service (a subgraph, the gateway) running as a process of its own, which a test can kill as a crash would. */
export interface ServiceProcess {
  /** SIGKILL: no shutdown hook runs, nothing in hand is finished or acknowledged. */
  kill(): Promise<void>;
  /** SIGTERM, waiting for it to exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/**
 * Starts a service from its entry point (a TypeScript file run with tsx, as `npm start` runs
 * it) with `env`, and waits until `readyUrl` answers; fails if it exits during start-up.
 */
export async function startServiceProcess(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  readyUrl: string,
  readyWithinMs = 90_000,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(ROOT, entry)], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([
    waitForHealthy(readyUrl, readyWithinMs),
    exited.then(() => {
      throw new Error(`the ${name} process exited during start-up`);
    }),
  ]);
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    async kill() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!running()) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
}
