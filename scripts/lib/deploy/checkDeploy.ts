/**
 * Every offline check of the deployment artifacts, for `npm run check:deploy` and the
 * tests: the kustomize overlays (rendered, schema-validated, project rules), the
 * base (no secret values), the one Dockerfile for each service and .dockerignore, and docker-compose.yml.
 * Nothing here needs Docker, a cluster or the network.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { KustomizeError, renderKustomization, type RenderedObject } from '../kustomize';
import { checkCompose } from './composeRules';
import {
  checkDockerfile,
  checkDockerignore,
  contextSources,
  DOCKERFILE,
  dockerfileFor,
  expandSource,
  readDockerignore,
  runtimeFiles,
} from './dockerfileRules';
import { readGraphServices, type GraphService } from './graphServices';
import { loadKubernetesSchemas, type SchemaValidator } from './kubernetesSchemas';
import { checkNoSecretValues, checkRenderedOverlay } from './manifestRules';
import type { CheckResult, Problem } from './problems';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export const KUSTOMIZE_DIR = path.join('deploy', 'k8s');
/** The overlays that must exist; only the development one may carry (placeholder) secret values. */
const OVERLAYS = { dev: { allowSecretValues: true }, prod: { allowSecretValues: false } } as const;
const COMPOSE_FILE = 'docker-compose.yml';

export async function checkDeploy(root: string = REPO_ROOT): Promise<CheckResult> {
  const result: CheckResult = { checked: [], problems: [] };
  let services: GraphService[];
  try {
    services = readGraphServices(root);
  } catch (error) {
    result.problems.push({
      file: 'supergraph.yaml',
      object: 'graph',
      message: `cannot read the graph's services: ${(error as Error).message}`,
    });
    return result;
  }
  result.checked.push(
    `graph: ${services.map((service) => `${service.name}:${service.port}`).join(', ')} (callers derived from subgraphs/*/src/config.ts peers)`,
  );

  await checkKubernetes(root, services, result);
  checkDocker(root, services, result);
  checkComposeFile(root, services, result);
  return result;
}

async function checkKubernetes(root: string, services: GraphService[], result: CheckResult): Promise<void> {
  const validateSchema: SchemaValidator = await loadKubernetesSchemas();
  const base = render(root, path.join(KUSTOMIZE_DIR, 'base'), result);
  if (base) {
    result.problems.push(...checkNoSecretValues(base, root, 'base'));
    result.checked.push(`kustomize base: ${base.length} objects rendered, no secret values`);
  }
  for (const [overlay, { allowSecretValues }] of Object.entries(OVERLAYS)) {
    const rendered = render(root, path.join(KUSTOMIZE_DIR, 'overlays', overlay), result);
    if (!rendered) continue;
    result.problems.push(
      ...checkRenderedOverlay(rendered, { root, overlay, services, allowSecretValues, validateSchema }),
    );
    result.checked.push(
      `kustomize overlay ${overlay}: ${rendered.length} objects (${kindCounts(rendered)}) rendered, validated against the Kubernetes schemas and the project's rules`,
    );
  }
}

function render(root: string, dir: string, result: CheckResult): RenderedObject[] | undefined {
  try {
    return renderKustomization(path.join(root, dir));
  } catch (error) {
    if (!(error instanceof KustomizeError)) throw error;
    result.problems.push({ file: path.relative(root, error.file), object: 'kustomization', message: error.problem });
    return undefined;
  }
}

function kindCounts(rendered: RenderedObject[]): string {
  const counts = new Map<string, number>();
  for (const { object } of rendered) counts.set(object.kind, (counts.get(object.kind) ?? 0) + 1);
  return [...counts].map(([kind, count]) => `${count} ${kind}`).join(', ');
}

function checkDocker(root: string, services: GraphService[], result: CheckResult): void {
  const workspaces = readWorkspaces(root);
  const copied = new Map<string, string[]>();
  if (!existsSync(path.join(root, DOCKERFILE))) {
    result.problems.push({ file: DOCKERFILE, object: 'file', message: 'missing: no service has an image' });
    return;
  }
  const template = readFileSync(path.join(root, DOCKERFILE), 'utf8');
  for (const service of services) {
    // Each service's image is the one Dockerfile with that service's build arguments.
    const file = `${DOCKERFILE} (${service.name})`;
    const text = dockerfileFor(template, service);
    result.problems.push(...checkDockerfile(file, text, { root, service, workspaces }));
    const sources = contextSources(text);
    // The build copies folders whole; what the service reads at run time must be in them.
    for (const needed of runtimeFiles(service)) {
      if (existsSync(path.join(root, needed))) continue;
      result.problems.push({ file, object: 'COPY', message: `copies ${needed}, which does not exist` });
    }
    // A glob that matches nothing copies nothing, silently (COPY --parents): as much a mistake as a missing path.
    for (const source of sources) {
      if (expandSource(root, source).length === 0)
        result.problems.push({ file, object: 'COPY', message: `copies ${source}, which does not exist` });
    }
    copied.set(file, sources);
    result.checked.push(`Dockerfile ${file}: dockerfile-utils diagnostics and the project's rules`);
  }
  result.problems.push(...checkDockerignore(readDockerignore(root), copied));
  result.checked.push('.dockerignore: keeps secrets and local state out, hides nothing the Dockerfiles copy');
}

function checkComposeFile(root: string, services: GraphService[], result: CheckResult): void {
  const file = path.join(root, COMPOSE_FILE);
  if (!existsSync(file)) {
    result.problems.push({ file: COMPOSE_FILE, object: 'file', message: 'missing' });
    return;
  }
  result.problems.push(...checkCompose(COMPOSE_FILE, readFileSync(file, 'utf8'), root, services));
  result.checked.push(
    `${COMPOSE_FILE}: references, depends_on conditions, migrations before subgraphs, no written secrets`,
  );
}

/** The workspace package directories of the root package.json (`dir` and `dir/*` patterns). */
export function readWorkspaces(root: string): string[] {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { workspaces?: unknown };
  const patterns = Array.isArray(manifest.workspaces) ? manifest.workspaces.map(String) : [];
  return patterns.flatMap((pattern) => {
    const clean = pattern.replace(/^\.\//, '').replace(/\/$/, '');
    if (!clean.endsWith('/*')) return [clean];
    const parent = clean.slice(0, -2);
    if (parent.includes('*'))
      throw new Error(`package.json: workspace pattern "${pattern}" is not supported by the deployment checks`);
    return readdirSync(path.join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(path.join(root, parent, entry.name, 'package.json')))
      .map((entry) => `${parent}/${entry.name}`);
  });
}

export type { CheckResult, Problem };
