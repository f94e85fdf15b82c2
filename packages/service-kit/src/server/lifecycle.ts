import net from 'node:net';
import { ConfigError, describeError } from '../config/env';
import { exitCodeFor } from './exitCodes';

// A process's start and stop, apart from serving HTTP (http.ts): what a cluster's primary, which
// serves nothing, needs too. Nothing here loads more than node itself and the configuration's zod.

/**
 * Fails fast, before anything slow (opening a database) starts, when the port a
 * service is configured to listen on is taken: one message naming the variable
 * to change. The real bind can still lose a race; this is for the common case of
 * a graph already running.
 */
export async function ensurePortFree(host: string, port: number, variable: string): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    probe.once('error', (failure: NodeJS.ErrnoException) => resolve(failure));
    probe.listen(port, host, () => probe.close(() => resolve(null)));
  });
  if (error?.code === 'EADDRINUSE') {
    throw new ConfigError(
      `Invalid configuration:\n  ${variable}: port ${port} on ${host} is already in use (is the graph already running?); stop what uses it or set ${variable} to another port`,
    );
  }
  if (error) throw error;
}

/**
 * Runs a service's `main` and turns a start-up failure into one clear log line
 * and a non-zero exit, instead of an unhandled rejection. The exit code says
 * whether a restart may help (see exitCodes.ts): 78 for a configuration error,
 * 65 for a migration history that needs a person, else 1.
 */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const message = describeError(error);
    process.stderr.write(`${name} failed to start: ${message}\n`);
    process.exit(exitCodeFor(error));
  });
}

/** Calls `stop` once on SIGINT/SIGTERM, then exits 0 (or 1 if stopping failed). */
export function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
