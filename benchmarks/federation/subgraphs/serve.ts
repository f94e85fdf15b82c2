/**
 * Runs the four benchmark subgraphs in their own process, so that they do not
 * share an event loop (or CPU time) with the gateway under test - the
 * community benchmark likewise runs its Rust subgraphs as a separate process.
 *
 *   npx tsx benchmarks/federation/subgraphs/serve.ts                 # free ports
 *   npx tsx benchmarks/federation/subgraphs/serve.ts --base-port 4201  # 4201..4204
 *
 * Prints one line of JSON, {"accounts":"http://127.0.0.1:<port>/graphql",...},
 * once all four listen; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { SUBGRAPH_NAMES, startAllSubgraphs, type SubgraphName } from './index';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'base-port': { type: 'string' } } });
  const base = values['base-port'] === undefined ? undefined : Number(values['base-port']);
  const ports: Partial<Record<SubgraphName, number>> = {};
  if (base !== undefined) SUBGRAPH_NAMES.forEach((name, i) => (ports[name] = base + i));
  const running = await startAllSubgraphs(ports);
  process.stdout.write(`${JSON.stringify(running.urls)}\n`);
  const stop = (): void => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
