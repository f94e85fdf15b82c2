/**
 * `npm run compose`: composes supergraph.yaml into supergraph.graphql, which is
 * committed and served by the gateway. `--check` fails instead of writing when
 * the committed file is stale (CI).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { compose, readSupergraphConfig, REPO_ROOT } from './lib/compose';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: path.join(REPO_ROOT, 'supergraph.yaml') },
      output: { type: 'string', default: path.join(REPO_ROOT, 'supergraph.graphql') },
      check: { type: 'boolean', default: false },
    },
  });
  const outcome = compose(await readSupergraphConfig(values.config));
  for (const hint of outcome.hints) console.error(`hint: ${hint}`);
  if (!outcome.ok) {
    for (const error of outcome.errors) console.error(`error: ${error}`);
    console.error(`Composition failed with ${outcome.errors.length} error(s).`);
    return 1;
  }
  const current = await readFile(values.output, 'utf8').catch(() => '');
  if (values.check) {
    if (current === outcome.supergraphSdl) return 0;
    console.error(`${path.relative(REPO_ROOT, values.output)} is stale: run \`npm run compose\` and commit it.`);
    return 1;
  }
  if (current !== outcome.supergraphSdl) await writeFile(values.output, outcome.supergraphSdl);
  console.log(
    `Composed ${path.relative(REPO_ROOT, values.output)}${current === outcome.supergraphSdl ? ' (unchanged)' : ''}.`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
