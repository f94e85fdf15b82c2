import { parseArgs } from 'node:util';
import { describeError, exitCodeFor } from '@car-check/service-kit';
import { formatDuration, msSince } from '@car-check/subgraph-kit';
import { commandStartedAt } from './progress';
import { selectSubgraphs, type LoadedSubgraph } from './subgraphs';

/** What a command did to one subgraph's database: the verb of its line (`done`, `seeded`) and the database. */
export interface SubgraphOutcome {
  did: string;
  target: string;
}

/**
 * Runs a database command (`db:migrate`, `db:seed`) on each subgraph `--subgraph NAME`
 * selects (every one, without it), one after another: a line per subgraph with its
 * duration, then `summary` and the total. A failure is one line, no stack, and its exit code says
 * which kind (78 configuration, 65 migration history, else 1).
 */
export function runPerSubgraph(
  command: string,
  each: (name: string, subgraph: LoadedSubgraph) => Promise<SubgraphOutcome>,
  summary: (count: number) => string,
): void {
  const startedAt = commandStartedAt();
  const main = async () => {
    const { values } = parseArgs({ options: { subgraph: { type: 'string' } } });
    const took: string[] = [];
    for (const [name, subgraph] of selectSubgraphs(values.subgraph)) {
      const subgraphStartedAt = performance.now();
      const outcome = await each(name, subgraph);
      const ms = msSince(subgraphStartedAt);
      took.push(`${name} ${formatDuration(ms)}`);
      console.log(`${name}: ${outcome.did} in ${formatDuration(ms)} (${outcome.target})`);
    }
    const total = formatDuration(msSince(startedAt));
    console.log(`${command}: ${summary(took.length)}, ${total} in all (${took.join(', ')})`);
  };
  main().catch((error: unknown) => {
    console.error(`${command} failed after ${formatDuration(msSince(startedAt))}: ${describeError(error)}`);
    process.exit(exitCodeFor(error));
  });
}
