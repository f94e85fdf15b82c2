import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bootSubgraph, type SubgraphConfig } from '@car-check/subgraph-kit';
import { seedCars } from '@car-check/subgraph-kit/demo';
import { carSubgraph } from '../../subgraphs/car/src/server';
import { LogCapture } from '@car-check/test-support/logCapture';
import { testSubgraphConfig } from '@car-check/test-support/subgraphs';

/** Creating an embedded database, migrating and seeding it take seconds each; on a loaded 2-core machine, many more. */
const SLOW = 180_000;

interface Progress {
  step: string;
  phase: 'start' | 'done';
  durationMs?: number;
  index?: number;
  total?: number;
  /** The ready line's: each step's duration. */
  steps?: Record<string, number>;
}

/** The progress lines a start logged (the first start in a process also says how long loading the code took: left out). */
const progressOf = (logs: LogCapture) =>
  logs
    .entries()
    .filter((entry) => entry.level === 30 && entry.progress !== undefined)
    .map((entry) => ({ msg: entry.msg as string, ...(entry.progress as Progress) }))
    .filter((line) => line.step !== 'code');

/**
 * A subgraph's start tells a person what it is doing as it goes: a line as each
 * step starts or ends, with its duration, and a total in the ready line.
 */
describe('a subgraph start reports its steps as they happen', () => {
  let dataDir: string;
  let config: SubgraphConfig;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'boot-progress-'));
    config = {
      ...testSubgraphConfig('car', { kind: 'embedded', dataDir: path.join(dataDir, 'car') }),
      seedOnEmpty: true,
    };
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  }, SLOW);

  it(
    'on a first start: creating the embedded database, each migration n of m, seeding, serving, each with its duration',
    async () => {
      const logs = new LogCapture('car');
      const subgraph = await bootSubgraph(carSubgraph, config, logs.log);
      await subgraph.stop();

      const lines = progressOf(logs);
      const migrations = lines.filter((line) => line.step === 'migration');
      expect(migrations.length).toBeGreaterThan(0);
      expect(lines.map((line) => `${line.step} ${line.phase}`)).toEqual([
        'database start',
        'create-database start',
        'create-database done',
        'database done',
        ...migrations.map(() => 'migration start'),
        'migrations done',
        'seed start',
        'seed done',
        'ready done',
      ]);
      // n of m, in order.
      expect(migrations.map((line) => [line.index, line.total])).toEqual(
        migrations.map((_, i) => [i + 1, migrations.length]),
      );
      expect(migrations[0]!.msg).toMatch(new RegExp(`^applying migration 1 of ${migrations.length}: \\d+_init$`));

      // Every step that ends says how long it took, in its fields and in words.
      const done = lines.filter((line) => line.phase === 'done');
      for (const line of done) {
        expect([line.step, typeof line.durationMs, line.durationMs! >= 0]).toEqual([line.step, 'number', true]);
        // (formatDuration: `850 ms`, `2.4 s`, or past a minute on a loaded machine, `1 min 37 s`.)
        expect([line.step, line.msg]).toEqual([line.step, expect.stringMatching(/ in (\d+ min )?\d+(\.\d)? m?s\b/)]);
      }
      const message = (step: string) => done.find((line) => line.step === step)!.msg;
      expect(message('create-database')).toMatch(/^created the embedded database in /);
      expect(message('database')).toMatch(/^opened the database in /);
      expect(message('migrations')).toMatch(new RegExp(`^applied ${migrations.length} migrations in `));
      expect(message('seed')).toMatch(
        new RegExp(`^seeded ${seedCars.length} demo cars \\(${seedCars.length} new\\) in `),
      );
      expect(message('ready')).toMatch(
        new RegExp(
          `^car subgraph ready at ${subgraph.url}/graphql in .+ \\(.*creating the database .+, opening it .+, migrations .+, seeding .+, server .+\\)$`,
        ),
      );
      // In JSON, the ready line has each step's duration too, and a total at least their sum (one after the other).
      const ready = done.find((line) => line.step === 'ready')!;
      const n = expect.any(Number);
      expect(ready.steps).toEqual(
        expect.objectContaining({ createDatabase: n, database: n, migrations: n, seed: n, server: n }),
      );
      // (Each figure is rounded to the millisecond: a millisecond a step of slack.)
      const steps = Object.values(ready.steps ?? {});
      expect(ready.durationMs).toBeGreaterThanOrEqual(steps.reduce((total, ms) => total + ms, 0) - steps.length);
    },
    SLOW,
  );

  it(
    'on a later start: opening the existing database, nothing to migrate or seed',
    async () => {
      const logs = new LogCapture('car');
      const subgraph = await bootSubgraph(carSubgraph, config, logs.log);
      await subgraph.stop();

      const lines = progressOf(logs);
      expect(lines.map((line) => `${line.step} ${line.phase}`)).toEqual([
        'database start',
        'database done',
        'migrations done',
        'ready done',
      ]);
      expect(lines[2]!.msg).toMatch(/^migrations already up to date/);
      expect(lines[3]!.msg).not.toMatch(/creating|seeding/);
    },
    SLOW,
  );
});
