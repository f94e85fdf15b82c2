import { spawn } from 'node:child_process';
import path from 'node:path';
import { bundleServices } from '../../scripts/lib/serviceBundle';
import { serviceArgs, serviceEnv } from '../../scripts/lib/serviceLaunch';
import { waitForHealthy } from '../../scripts/lib/waitForHealthy';
import { onceEach } from './onceEach';

const ROOT = path.resolve(__dirname, '..', '..');

/** A service (a subgraph, the gateway) running as a process of its own, which a test can kill as a crash would. */
export interface ServiceProcess {
  /** SIGKILL: no shutdown hook runs, nothing in hand is finished or acknowledged. */
  kill(): Promise<void>;
  /** SIGTERM, waiting for it to exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/** Bundles made one at a time: bundleServices stops esbuild's helper when done, which would cut short a build beside it. */
let bundling: Promise<unknown> = Promise.resolve();

/**
 * The bundle `npm start` runs for the service whose entry point is `entry` (`<package>/src/index.ts`),
 * rebuilt if a source changed; made (or found fresh) once per test file.
 */
const bundleOf = onceEach(async (entry: string): Promise<string> => {
  const packageDir = path.resolve(ROOT, entry, '..', '..');
  const bundle = bundling.then(async () => {
    const built = await bundleServices([{ name: entry, entry: path.resolve(ROOT, entry), packageDir }], ROOT);
    return built[entry]!.file;
  });
  bundling = bundle.catch(() => undefined);
  return bundle;
});

/**
 * Starts a service as `npm start` runs it: its entry point (`<package>/src/index.ts`) bundled to
 * plain JavaScript, run by node with the same flags and allocator settings, with `env`. Waits until
 * `readyUrl` answers; fails if it exits during start-up.
 */
export async function startServiceProcess(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  readyUrl: string,
  readyWithinMs = 90_000,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, serviceArgs(await bundleOf(entry)), {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: serviceEnv(env),
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
