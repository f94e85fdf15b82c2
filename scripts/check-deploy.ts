/**
 * `npm run check:deploy [-- --print dev|prod]`
 *
 * Checks the deployment artifacts offline (no Docker, no cluster): renders the
 * kustomize overlays and validates them against the Kubernetes schemas and the
 * project's rules, lints the one Dockerfile (once per service) and .dockerignore, and checks
 * docker-compose.yml. Prints what it checked, then one line per problem
 * (`file: object: problem`); exits 1 when there is any. `--print <overlay>` prints
 * that overlay's rendered YAML instead, as the checks see it.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { renderKustomization } from './lib/kustomize';
import { checkDeploy, KUSTOMIZE_DIR, REPO_ROOT } from './lib/deploy/checkDeploy';
import { formatProblem } from './lib/deploy/problems';

export { checkDeploy } from './lib/deploy/checkDeploy';
export { renderKustomization, KustomizeError } from './lib/kustomize';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { print: { type: 'string' } } });
  if (values.print) {
    const rendered = renderKustomization(path.join(REPO_ROOT, KUSTOMIZE_DIR, 'overlays', values.print));
    console.log(rendered.map(({ object }) => stringify(object)).join('---\n'));
    return 0;
  }
  const { checked, problems } = await checkDeploy();
  for (const line of checked) console.log(`checked  ${line}`);
  if (problems.length === 0) {
    console.log('deploy checks: no problems');
    return 0;
  }
  for (const problem of problems) console.error(formatProblem(problem));
  console.error(`deploy checks: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
  return 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(2);
    },
  );
}
