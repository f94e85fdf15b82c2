/** A scratch copy of the car subgraph's schema and migrations, for the migration tests. */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { subgraphPaths } from '../../scripts/lib/schema-engine';

/** A column that exists in no migration: schema.prisma gets it, the history does not. */
export const PROBE_FIELD = '  driftProbe String? @map("drift_probe")';

/**
 * A scratch copy of the car subgraph (schema and migrations) in a temp folder; with
 * `withProbe`, its schema has {@link PROBE_FIELD} as the first field of `model Car`.
 */
export async function copyCarSubgraph(
  root: string,
  withProbe: boolean,
): Promise<{ schemaPath: string; migrationsDir: string }> {
  const source = subgraphPaths('car');
  const schemaPath = path.join(root, 'schema.prisma');
  const migrationsDir = path.join(root, 'migrations');
  await cp(source.migrationsDir, migrationsDir, { recursive: true });

  let schema = await readFile(source.schemaPath, 'utf8');
  if (withProbe) {
    const model = /^model Car \{$/m;
    // Fail here, not in a confusing assertion below, if the schema no longer has the model.
    expect(schema).toMatch(model);
    schema = schema.replace(model, (line) => `${line}\n${PROBE_FIELD}`);
  }
  await writeFile(schemaPath, schema, 'utf8');
  return { schemaPath, migrationsDir };
}
