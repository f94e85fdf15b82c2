import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { checkDeploy, KustomizeError, renderKustomization } from '../../scripts/check-deploy';
import { readWorkspaces, REPO_ROOT } from '../../scripts/lib/deploy/checkDeploy';
import { parseCompose, checkCompose } from '../../scripts/lib/deploy/composeRules';
import {
  checkDockerfile,
  checkDockerignore,
  DOCKERFILE,
  dockerfileFor,
  isDockerIgnored,
  readDockerignore,
  SUBGRAPH_SCHEMA_FILE,
} from '../../scripts/lib/deploy/dockerfileRules';
import { readGraphServices, type GraphService } from '../../scripts/lib/deploy/graphServices';
import { loadKubernetesSchemas, type SchemaValidator } from '../../scripts/lib/deploy/kubernetesSchemas';
import { checkRenderedOverlay } from '../../scripts/lib/deploy/manifestRules';
import { formatProblem, type Problem } from '../../scripts/lib/deploy/problems';
import { objectId, type KubernetesObject, type RenderedObject } from '../../scripts/lib/kustomize';

const OVERLAY = (name: string) => path.join(REPO_ROOT, 'deploy', 'k8s', 'overlays', name);
const lines = (problems: Problem[]) => problems.map(formatProblem);

let services: GraphService[];
let validateSchema: SchemaValidator;
const temporaryDirs: string[] = [];

beforeAll(async () => {
  services = readGraphServices(REPO_ROOT);
  validateSchema = await loadKubernetesSchemas();
});
afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

function temporaryDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deploy-check-'));
  temporaryDirs.push(dir);
  return dir;
}

/** Writes files (path -> content) under a fresh directory and returns it. */
function writeTree(files: Record<string, string>): string {
  const dir = temporaryDir();
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

/** A fresh copy of just what the deployment checks read, to break one file of it. */
function copyOfDeploymentInputs(): string {
  const root = temporaryDir();
  const entries = [
    'package.json',
    'package-lock.json',
    'supergraph.yaml',
    'supergraph.graphql',
    '.dockerignore',
    'docker-compose.yml',
    'deploy',
    'prisma',
    'tsconfig.json',
  ];
  entries.push(...readWorkspaces(REPO_ROOT).map((workspace) => `${workspace}/package.json`));
  entries.push('gateway/src/processConfig.ts');
  for (const service of services.filter((candidate) => candidate.role === 'subgraph')) {
    for (const file of ['src/config.ts', SUBGRAPH_SCHEMA_FILE]) entries.push(`${service.dir}/${file}`);
  }
  for (const entry of entries) cpSync(path.join(REPO_ROOT, entry), path.join(root, entry), { recursive: true });
  return root;
}

describe("the repository's deployment artifacts", () => {
  it('pass every check, and say what was checked', async () => {
    const { checked, problems } = await checkDeploy(REPO_ROOT);
    expect(lines(problems)).toEqual([]);
    const summary = checked.join('\n');
    const images = services.map((service) => `${DOCKERFILE} (${service.name})`);
    for (const expected of [
      'overlay dev',
      'overlay prod',
      'kustomize base',
      ...images,
      '.dockerignore',
      'docker-compose.yml',
    ]) {
      expect(summary).toContain(expected);
    }
  });

  it("derive who calls whom from the subgraphs' own config", () => {
    const calls = Object.fromEntries(services.map((service) => [service.name, service.calls]));
    expect(calls).toEqual({
      gateway: ['car', 'cost-center', 'user', 'webhook', 'report'],
      car: ['cost-center'],
      'cost-center': ['car', 'user'],
      user: [],
      // They read the three owners' event feeds.
      webhook: ['car', 'cost-center', 'user'],
      report: ['car', 'cost-center', 'user'],
    });
  });
});

describe('the offline kustomize renderer', () => {
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

  (kubectl ? it : it.skip).each(['base', 'overlays/dev', 'overlays/prod'])(
    'renders deploy/k8s/%s exactly as kubectl kustomize does',
    (dir) => {
      const full = path.join(REPO_ROOT, 'deploy', 'k8s', dir);
      const normalise = (object: KubernetesObject) => {
        const copy = JSON.parse(JSON.stringify(object)) as KubernetesObject & { data?: Record<string, string> };
        // kustomize wraps long base64 values; compare what they encode.
        if (copy.kind === 'Secret' && copy.data) {
          for (const key of Object.keys(copy.data))
            copy.data[key] = Buffer.from((copy.data[key] ?? '').replace(/\s/g, ''), 'base64').toString();
        }
        return copy;
      };
      const byId = (objects: KubernetesObject[]) =>
        new Map(objects.map((object) => [`${object.apiVersion} ${objectId(object)}`, normalise(object)]));
      const real = parseAllDocuments(execFileSync('kubectl', ['kustomize', full], { encoding: 'utf8' })).map(
        (document) => document.toJS() as KubernetesObject,
      );
      const ours = renderKustomization(full).map(({ object }) => object);
      expect(byId(ours)).toEqual(byId(real));
    },
  );

  const kustomization = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
  const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  A: "1"\n';

  it.each([
    [
      'an unknown kustomization key',
      kustomization('resources: [cm.yaml]\nnamePrefix: x-\n'),
      'unsupported kustomization key "namePrefix"',
    ],
    [
      'a JSON 6902 patch',
      kustomization('resources: [cm.yaml]\npatches:\n  - path: cm.yaml\n    target: { kind: ConfigMap }\n'),
      'each patch must be { path: <file> }',
    ],
    [
      'a patch that matches nothing',
      kustomization('resources: [cm.yaml]\npatches:\n  - path: other.yaml\n'),
      'patch for ConfigMap/other matches 0 objects',
    ],
    [
      'generators with hashed names',
      kustomization('secretGenerator:\n  - name: s\n    literals: [A=b]\n'),
      'disableNameSuffixHash: true',
    ],
    ['a remote resource', kustomization('resources: [https://example.com/x.yaml]\n'), 'remote resource'],
    [
      'a resource file outside the kustomization',
      kustomization('resources: [../outside.yaml]\n'),
      'outside the kustomization',
    ],
    [
      'labels that would change selectors',
      kustomization('resources: [cm.yaml]\nlabels:\n  - pairs: { a: b }\n    includeSelectors: true\n'),
      'includeSelectors: true',
    ],
  ])('fails loudly on %s, naming the file', (_, body, message) => {
    const root = writeTree({
      'k/kustomization.yaml': body,
      'k/cm.yaml': configMap,
      'k/other.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n',
      'outside.yaml': configMap,
    });
    let thrown: unknown;
    try {
      renderKustomization(path.join(root, 'k'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(KustomizeError);
    expect((thrown as KustomizeError).message).toContain(message);
    expect((thrown as KustomizeError).file).toContain(path.join(root, 'k'));
  });

  it('merges patches by merge key, deletes on null, and applies namespace, labels and images', () => {
    const root = writeTree({
      'base/kustomization.yaml': kustomization(
        'resources: [app.yaml]\nlabels:\n  - pairs: { team: fleet }\n    includeTemplates: true\n',
      ),
      'base/app.yaml': stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'app' },
        spec: {
          selector: { matchLabels: { app: 'a' } },
          template: {
            metadata: { labels: { app: 'a' } },
            spec: {
              containers: [
                {
                  name: 'a',
                  image: 'app:1',
                  env: [
                    { name: 'KEEP', value: '1' },
                    { name: 'CHANGE', value: 'old' },
                  ],
                  args: ['--x'],
                },
              ],
            },
          },
        },
      }),
      'dev/kustomization.yaml': kustomization(
        'namespace: dev\nresources: [../base]\npatches:\n  - path: patch.yaml\nimages:\n  - name: app\n    newName: registry.test/app\n    newTag: "2"\n',
      ),
      'dev/patch.yaml': stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'app' },
        spec: {
          replicas: 3,
          template: {
            spec: {
              containers: [
                {
                  name: 'a',
                  env: [
                    { name: 'CHANGE', value: 'new' },
                    { name: 'ADD', value: 'x' },
                  ],
                  args: null,
                },
              ],
            },
          },
        },
      }),
    });
    const [rendered] = renderKustomization(path.join(root, 'dev'));
    const object = rendered?.object as KubernetesObject & { spec: any };
    expect(object.metadata).toEqual({ name: 'app', namespace: 'dev', labels: { team: 'fleet' } });
    expect(object.spec.replicas).toBe(3);
    expect(object.spec.selector).toEqual({ matchLabels: { app: 'a' } });
    expect(object.spec.template.metadata.labels).toEqual({ app: 'a', team: 'fleet' });
    const [container] = object.spec.template.spec.containers;
    expect(container.image).toBe('registry.test/app:2');
    expect(container.env).toEqual([
      { name: 'KEEP', value: '1' },
      { name: 'CHANGE', value: 'new' },
      { name: 'ADD', value: 'x' },
    ]);
    expect(container).not.toHaveProperty('args');
  });
});

describe('the Kubernetes rules', () => {
  /** The prod overlay, rendered afresh, with `change` applied to the object `id`. */
  function prodWith(id: string, change: (object: any, all: RenderedObject[]) => void): Problem[] {
    const rendered = renderKustomization(OVERLAY('prod'));
    const target = rendered.find(({ object }) => objectId(object) === id);
    if (!target) throw new Error(`no ${id} in the prod overlay`);
    change(target.object, rendered);
    return checkRenderedOverlay(rendered, {
      root: REPO_ROOT,
      overlay: 'prod',
      services,
      allowSecretValues: false,
      validateSchema,
    });
  }
  const container = (deployment: any) => deployment.spec.template.spec.containers[0];
  const remove = (all: RenderedObject[], id: string) =>
    all.splice(
      all.findIndex(({ object }) => objectId(object) === id),
      1,
    );

  it.each<[string, string, (object: any, all: RenderedObject[]) => void, string]>([
    [
      'a Deployment without a readiness probe',
      'Deployment/car',
      (d) => delete container(d).readinessProbe,
      'Deployment/car (overlay prod): container "car" has no readinessProbe',
    ],
    [
      'a Deployment without a liveness probe',
      'Deployment/user',
      (d) => delete container(d).livenessProbe,
      'container "user" has no livenessProbe',
    ],
    [
      'a probe on the wrong path',
      'Deployment/gateway',
      (d) => (container(d).readinessProbe.httpGet.path = '/health'),
      'readinessProbe must be an HTTP GET of /ready',
    ],
    [
      'a container without a memory limit',
      'Deployment/car',
      (d) => delete container(d).resources.limits.memory,
      'has no resources.limits.memory',
    ],
    [
      'a pod that may run as root',
      'Deployment/cost-center',
      (d) => delete d.spec.template.spec.securityContext.runAsNonRoot,
      'runAsNonRoot must be true',
    ],
    [
      'capabilities not dropped',
      'Job/user-migrate',
      (j) => delete container(j).securityContext.capabilities,
      'Job/user-migrate (overlay prod): container "migrate" must drop ALL capabilities',
    ],
    [
      'a writable root file system',
      'Deployment/car',
      (d) => (container(d).securityContext.readOnlyRootFilesystem = false),
      'readOnlyRootFilesystem must be true',
    ],
    [
      'an image on latest',
      'Deployment/car',
      (d) => (container(d).image = 'registry.example.com/car-check/subgraph-car:latest'),
      'must name a tag other than latest',
    ],
    [
      'a misspelt container field',
      'Deployment/car',
      (d) => (container(d).readinesProbe = {}),
      'unknown field "readinesProbe"',
    ],
    [
      'a malformed quantity (Kubernetes schema)',
      'Deployment/car',
      (d) => (container(d).resources.requests.memory = 'lots'),
      'schema: /spec/template/spec/containers/0/resources/requests/memory',
    ],
    [
      'a secret written as a literal',
      'Deployment/gateway',
      (d) => (container(d).env.find((v: any) => v.name === 'GATEWAY_SIGNING_SECRET').valueFrom = undefined),
      'env GATEWAY_SIGNING_SECRET is a secret',
    ],
    [
      'a reference to an unknown Secret',
      'Deployment/car',
      (d) => (container(d).env.find((v: any) => v.name === 'REDIS_URL').valueFrom.secretKeyRef.name = 'redis-typo'),
      'references Secret "redis-typo"',
    ],
    [
      'a subgraph that migrates on start',
      'Deployment/car',
      (d) => (container(d).env = container(d).env.filter((v: any) => v.name !== 'MIGRATE_ON_START')),
      'must set MIGRATE_ON_START="false"',
    ],
    [
      'a missing migration Job',
      'Job/car-migrate',
      (_, all) => remove(all, 'Job/car-migrate'),
      'Job/car-migrate (overlay prod): missing',
    ],
    [
      'a migration Job from another build',
      'Job/car-migrate',
      (j) => (container(j).image = 'registry.example.com/car-check/subgraph-car:0.0.9'),
      'image differs from Deployment/car',
    ],
    [
      'a migration Job without its ordering annotation',
      'Job/cost-center-migrate',
      (j) => (j.metadata.annotations = {}),
      'argocd.argoproj.io/hook',
    ],
    [
      'a missing PodDisruptionBudget',
      'PodDisruptionBudget/user',
      (_, all) => remove(all, 'PodDisruptionBudget/user'),
      'Deployment/user (overlay prod): no PodDisruptionBudget selects its pods',
    ],
    [
      'a missing gateway autoscaler',
      'HorizontalPodAutoscaler/gateway',
      (_, all) => remove(all, 'HorizontalPodAutoscaler/gateway'),
      'no HorizontalPodAutoscaler scales the gateway',
    ],
    [
      'a Service selecting nothing',
      'Service/user',
      (s) => (s.spec.selector['app.kubernetes.io/name'] = 'users'),
      'Service/user (overlay prod): selector does not match the user pods',
    ],
    [
      'a subgraph reachable by a service that never calls it',
      'NetworkPolicy/car-ingress',
      (p) => p.spec.ingress[0].from[0].podSelector.matchExpressions[0].values.push('user'),
      'Deployment/car (overlay prod): NetworkPolicies admit user, which never calls car',
    ],
    [
      'a caller the NetworkPolicy forgot',
      'NetworkPolicy/user-ingress',
      (p) => (p.spec.ingress[0].from[0].podSelector.matchExpressions[0].values = ['gateway']),
      'do not admit cost-center, which calls user',
    ],
    [
      'a subgraph open to everyone',
      'NetworkPolicy/cost-center-ingress',
      (p) => delete p.spec.ingress[0].from,
      'admits traffic from outside the graph',
    ],
    [
      'no default deny',
      'NetworkPolicy/default-deny-ingress',
      (_, all) => remove(all, 'NetworkPolicy/default-deny-ingress'),
      'no default-deny ingress policy',
    ],
    [
      'secret values in production',
      'ConfigMap/graph-config',
      (_, all) =>
        all.push({
          source: OVERLAY('prod'),
          object: {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'redis', namespace: 'car-check' },
            data: { REDIS_URL: 'eA==' },
          },
        }),
      'Secret/redis (overlay prod): holds secret values',
    ],
  ])('names %s', (_, id, change, expected) => {
    const found = lines(prodWith(id, change));
    expect(found.join('\n')).toContain(expected);
  });

  it('reports a COPY glob that matches nothing (Docker copies nothing, silently)', async () => {
    const root = copyOfDeploymentInputs();
    const dockerfile = path.join(root, DOCKERFILE);
    writeFileSync(dockerfile, readFileSync(dockerfile, 'utf8').replace('COPY tsconfig*.json', 'COPY tsconfigs*.json'));

    const { problems } = await checkDeploy(root);
    expect(lines(problems)).toContain(`${DOCKERFILE} (gateway): COPY: copies tsconfigs*.json, which does not exist`);
  });

  it('reports a broken manifest file with its path, object and overlay', async () => {
    const root = copyOfDeploymentInputs();
    const car = path.join(root, 'deploy/k8s/base/car.yaml');
    writeFileSync(car, readFileSync(car, 'utf8').replace(/ {10}readinessProbe:\n(?: {12}.*\n)+/, ''));

    const { problems } = await checkDeploy(root);
    expect(lines(problems)).toEqual([
      'deploy/k8s/base/car.yaml: Deployment/car (overlay dev): container "car" has no readinessProbe',
      'deploy/k8s/base/car.yaml: Deployment/car (overlay prod): container "car" has no readinessProbe',
    ]);
  });
});

describe('the Dockerfile rules', () => {
  const template = readFileSync(path.join(REPO_ROOT, DOCKERFILE), 'utf8');
  const car = () => services.find((service) => service.name === 'car') as GraphService;
  /** The one Dockerfile as the car's image build reads it (its build arguments written in). */
  let carDockerfile: string;
  beforeAll(() => {
    carDockerfile = dockerfileFor(template, car());
  });
  const workspaces = [
    'packages/service-kit',
    'packages/events',
    'packages/subgraph-kit',
    'gateway',
    'subgraphs/car',
    'subgraphs/cost-center',
    'subgraphs/user',
  ];
  const check = (text: string, known = workspaces) =>
    lines(checkDockerfile(`${DOCKERFILE} (car)`, text, { root: REPO_ROOT, service: car(), workspaces: known })).join(
      '\n',
    );

  it('accept the Dockerfile as it is, for every service', () => {
    for (const service of services) {
      const text = dockerfileFor(template, service);
      expect(lines(checkDockerfile(DOCKERFILE, text, { root: REPO_ROOT, service, workspaces })).join('\n')).toBe('');
    }
  });

  it("write in the service's build arguments", () => {
    expect(carDockerfile).toContain('EXPOSE 4001');
    expect(carDockerfile).toContain('npm run build --workspace=subgraphs/car');
    expect(dockerfileFor(template, services.find((service) => service.role === 'gateway') as GraphService)).toContain(
      'EXPOSE 4000',
    );
  });

  it.each<[string, (text: string) => string, string]>([
    [
      'a runtime without USER',
      (text) => text.replace('USER node\n', ''),
      'deploy/docker/Dockerfile (car): stage runtime (runtime): has no USER',
    ],
    ['USER root', (text) => text.replace('USER node', 'USER root'), 'runs as root'],
    ['no HEALTHCHECK', (text) => text.replace(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, ''), 'has no HEALTHCHECK'],
    [
      'a single stage',
      (text) => text.slice(text.indexOf('FROM ${NODE_IMAGE} AS runtime')).replace(/COPY --from=[^\n]*\n/g, ''),
      'must be multi-stage',
    ],
    [
      'an untagged base image',
      (text) => text.replace('ARG NODE_IMAGE=node:20-bookworm-slim', 'ARG NODE_IMAGE=node'),
      'has no tag (implicitly latest)',
    ],
    [
      'a latest base image',
      (text) => text.replace('ARG NODE_IMAGE=node:20-bookworm-slim', 'ARG NODE_IMAGE=node:latest'),
      'uses the latest tag',
    ],
    [
      'a shell-form CMD',
      (text) => text.replace(/^CMD \[.*$/m, 'CMD node subgraphs/car/dist/index.js'),
      'CMD must use the exec form',
    ],
    [
      'a shell that does not exec node',
      (text) => text.replace('exec node', 'node'),
      'not ["node", "subgraphs/car/dist/index.js"]',
    ],
    [
      "another service's CMD",
      (text) => text.replace('subgraphs/car/dist/index.js', 'subgraphs/user/dist/index.js'),
      'not ["node", "subgraphs/car/dist/index.js"]',
    ],
    ['the wrong port', (text) => text.replace('EXPOSE 4001', 'EXPOSE 4003'), 'does not EXPOSE 4001'],
    [
      'migrations left out',
      (text) => text.replace(/COPY prisma\/ prisma\/\n/, ''),
      'does not copy prisma/car/migrations',
    ],
    [
      'dev dependencies in the runtime',
      (text) => text.replace('npm ci --omit=dev ', 'npm ci '),
      'never installs production dependencies only',
    ],
    [
      'a workspace manifest left out',
      (text) => text.replace(' gateway/package.json ', ' '),
      'runs npm ci without copying gateway/package.json',
    ],
    [
      'workspace manifests copied without their folders (a glob without --parents)',
      (text) => text.replace('COPY --parents ', 'COPY '),
      'runs npm ci without copying subgraphs/car/package.json',
    ],
    [
      'a syntax error (dockerfile-utils)',
      (text) => text.replace('WORKDIR /app', 'WORKDIRR /app'),
      'dockerfile-utils: Unknown instruction: WORKDIRR',
    ],
  ])('name %s', (_, change, expected) => {
    const changed = change(carDockerfile);
    expect(changed).not.toBe(carDockerfile);
    expect(check(changed)).toContain(expected);
  });

  it('name a copied file that does not exist', async () => {
    const root = copyOfDeploymentInputs();
    rmSync(path.join(root, 'subgraphs/user/src/__generated__/schema.graphql'));
    const { problems } = await checkDeploy(root);
    expect(lines(problems)).toContain(
      'deploy/docker/Dockerfile (user): COPY: copies subgraphs/user/src/__generated__/schema.graphql, which does not exist',
    );
  });

  it('take a new subgraph without a change, and ask for a workspace outside the folders they copy', () => {
    expect(check(carDockerfile, [...workspaces, 'subgraphs/fuel'])).not.toContain('subgraphs/fuel');
    expect(check(carDockerfile, [...workspaces, 'tools/fuel'])).toContain(
      'runs npm ci without copying tools/fuel/package.json',
    );
  });
});

describe('.dockerignore', () => {
  it("follows Docker's pattern rules", () => {
    const patterns = ['**/node_modules', '**/*.env', 'test', '!test/keep.txt', '**/dist'];
    expect(isDockerIgnored(patterns, 'node_modules/x/index.js')).toBe(true);
    expect(isDockerIgnored(patterns, 'subgraphs/car/node_modules/x')).toBe(true);
    expect(isDockerIgnored(patterns, 'deploy/compose.env')).toBe(true);
    expect(isDockerIgnored(patterns, 'test/e2e/a.test.ts')).toBe(true);
    expect(isDockerIgnored(patterns, 'test/keep.txt')).toBe(false);
    expect(isDockerIgnored(patterns, 'subgraphs/car/schema.graphql')).toBe(false);
  });

  it('must not hide what a Dockerfile copies, and must hide secrets', () => {
    const patterns = [...(readDockerignore(REPO_ROOT) ?? []), 'deploy/docker'];
    const problems = lines(checkDockerignore(patterns, new Map([[DOCKERFILE, ['deploy/docker/healthcheck.cjs']]])));
    expect(problems).toEqual([
      '.dockerignore: patterns: exclude deploy/docker/healthcheck.cjs, which deploy/docker/Dockerfile copies',
    ]);
    expect(lines(checkDockerignore(['**/node_modules'], new Map())).join('\n')).toContain(
      'do not exclude env files with secrets',
    );
  });
});

describe('the docker-compose.yml rules', () => {
  const text = readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
  const check = (change: (compose: any) => void) => {
    const compose = parseCompose(text) as any;
    change(compose);
    return lines(checkCompose('docker-compose.yml', stringify(compose), REPO_ROOT, services)).join('\n');
  };

  it('accept the file as it is', () => {
    expect(lines(checkCompose('docker-compose.yml', text, REPO_ROOT, services))).toEqual([]);
  });

  it.each<[string, (compose: any) => void, string]>([
    [
      'a dependency on a service that does not exist',
      (c) => (c.services.gateway.depends_on.search = { condition: 'service_started' }),
      'docker-compose.yml: service gateway: depends on "search", which is not a service',
    ],
    [
      'waiting for health that is never reported',
      (c) => delete c.services.redis.healthcheck,
      'service car: waits for redis to be healthy, but redis has no healthcheck',
    ],
    [
      'a subgraph that does not wait for its migrations',
      (c) => delete c.services.user.depends_on['user-migrate'],
      'service user: must depend on user-migrate with condition service_completed_successfully',
    ],
    [
      'a migration service that restarts',
      (c) => (c.services['car-migrate'].restart = 'always'),
      'waits for car-migrate to complete, but car-migrate restarts',
    ],
    [
      'a missing migration service',
      (c) => delete c.services['cost-center-migrate'],
      'service cost-center-migrate: missing',
    ],
    [
      'a subgraph that migrates on start',
      (c) => delete c.services.car.environment.MIGRATE_ON_START,
      'service car: must set MIGRATE_ON_START: "false"',
    ],
    [
      'a secret written in the file',
      (c) => (c.services.gateway.environment.GATEWAY_SIGNING_SECRET = 'a-secret-written-into-the-compose-file'),
      'service gateway: GATEWAY_SIGNING_SECRET is written in the file',
    ],
    [
      'a Dockerfile that does not exist',
      (c) => (c.services.gateway.build.dockerfile = 'gateway/Dockerfile.old'),
      'Dockerfile gateway/Dockerfile.old does not exist',
    ],
    [
      'another Dockerfile than the one',
      (c) => (c.services.gateway.build.dockerfile = 'docker-compose.yml'),
      'service gateway: must be built from deploy/docker/Dockerfile',
    ],
    [
      "a service built with another's arguments",
      (c) => (c.services.car.build.args.PORT = '4002'),
      'service car: build arg PORT must be "4001", not "4002"',
    ],
    ['an undeclared volume', (c) => delete c.volumes['postgres-data'], 'uses volume "postgres-data", not declared'],
    [
      'an image on latest',
      (c) => (c.services.redis.image = 'redis:latest'),
      'image "redis:latest" uses the latest tag',
    ],
  ])('name %s', (_, change, expected) => {
    expect(check(change)).toContain(expected);
  });
});

describe('deploy/docker/healthcheck.cjs', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((request, response) => {
      response.statusCode = request.url === '/ready' ? 503 : 200;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'deploy/docker/healthcheck.cjs'), ...args], {
        env: { ...process.env, ...env },
        stdio: 'ignore',
      });
      child.on('exit', resolve);
    });

  it("exits 0 on HTTP 200, reading the port from the service's variable", async () => {
    expect(await run(['CAR_PORT', '1', '/health'], { CAR_PORT: String(port) })).toBe(0);
  });

  it('exits 1 on any other status, and when nothing answers', async () => {
    expect(await run(['CAR_PORT', String(port), '/ready'], { CAR_PORT: '' })).toBe(1);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const unused = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await run(['GATEWAY_PORT', String(unused)])).toBe(1);
  });
});
