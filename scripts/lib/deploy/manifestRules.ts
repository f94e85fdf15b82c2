/**
 * The project's rules for a rendered kustomize overlay, beyond what the Kubernetes
 * schemas say: every pod is hardened and sized, every Deployment probed, every
 * service has what it needs to run and to be drained (Service, PodDisruptionBudget,
 * migration Job, HorizontalPodAutoscaler for the gateway), NetworkPolicies admit to
 * each subgraph exactly the services that call it, and secrets are only referenced.
 */
import path from 'node:path';
import { isRecord, objectId, parseImage, type KubernetesObject, type RenderedObject } from '../kustomize';
import { callersOf, type GraphService } from './graphServices';
import { unknownContainerFields, type SchemaValidator } from './kubernetesSchemas';
import { SECRET_VARIABLE, type Problem } from './problems';

export interface OverlayRules {
  /** Repository root, to print file names relative to it. */
  root: string;
  /** Overlay name as printed, e.g. `prod`. */
  overlay: string;
  services: GraphService[];
  /** Only a development overlay may generate Secrets with (placeholder) values. */
  allowSecretValues: boolean;
  /** The Kubernetes schemas (loadKubernetesSchemas). */
  validateSchema: SchemaValidator;
}

/**
 * Objects the manifests reference but the repository does not hold: Secrets
 * provisioned per cluster, and the supergraph ConfigMap published after the
 * subgraphs roll out (docs/deployment.md). A reference to anything else must resolve
 * within the rendered overlay.
 */
const PROVISIONED_OUTSIDE_THE_REPO = {
  Secret: [
    'graph-signing',
    'management',
    'user-jwt',
    'events-signing',
    'redis',
    'car-database',
    'cost-center-database',
    'user-database',
    'webhook-database',
    'webhook-secrets',
    'report-database',
  ],
  ConfigMap: ['supergraph'],
} as const;

const NAME = 'app.kubernetes.io/name';
/** Argo CD runs PreSync hooks to completion before syncing anything else. */
const MIGRATION_ORDER_ANNOTATION = ['argocd.argoproj.io/hook', 'PreSync'] as const;

type Labels = Record<string, string>;
type Json = Record<string, unknown>;

export function checkRenderedOverlay(rendered: RenderedObject[], rules: OverlayRules): Problem[] {
  const problems: Problem[] = [];
  const objects = rendered.map(({ object }) => object);
  const report: Report = (object, message) => {
    const where = typeof object === 'string' ? object : objectId(object);
    const file = rendered.find((entry) => entry.object === object)?.source;
    problems.push({
      file: file ? path.relative(rules.root, file) : `deploy/k8s/overlays/${rules.overlay}`,
      object: `${where} (overlay ${rules.overlay})`,
      message,
    });
  };

  for (const object of objects) {
    for (const message of rules.validateSchema(object)) report(object, message);
    if (!object.metadata.namespace && object.kind !== 'Namespace')
      report(object, 'has no namespace (the overlay must set one)');
    if (!rules.allowSecretValues && holdsSecretValues(object)) report(object, SECRET_VALUES_MESSAGE);
    const pod = podSpecOf(object);
    if (pod) checkPod(object, pod, objects, report);
    if (object.kind === 'Deployment') checkDeployment(object, report);
  }
  for (const service of rules.services) checkService(service, objects, report);
  checkSelectorsMatch(objects, report);
  checkNetworkPolicies(objects, rules.services, report);
  return problems;
}

type Report = (object: KubernetesObject | string, message: string) => void;

const SECRET_VALUES_MESSAGE = 'holds secret values; Secrets are provisioned outside the repository and only referenced';

function holdsSecretValues(object: KubernetesObject): boolean {
  return object.kind === 'Secret' && (object.data !== undefined || object.stringData !== undefined);
}

/**
 * For a render that is not an overlay (the base): only that no Secret values are in
 * it; every other rule is checked on the overlays, which include the base.
 */
export function checkNoSecretValues(rendered: RenderedObject[], root: string, label: string): Problem[] {
  return rendered
    .filter(({ object }) => holdsSecretValues(object))
    .map(({ object, source }) => ({
      file: path.relative(root, source),
      object: `${objectId(object)} (${label})`,
      message: SECRET_VALUES_MESSAGE,
    }));
}

// ---------------------------------------------------------------------------
// pods

function checkPod(object: KubernetesObject, pod: Json, objects: KubernetesObject[], report: Report): void {
  const security = record(pod.securityContext);
  if (security.runAsNonRoot !== true) report(object, 'pod securityContext.runAsNonRoot must be true');
  if (security.runAsUser === 0) report(object, 'pod runs as user 0 (root)');
  if (pod.automountServiceAccountToken !== false)
    report(object, 'automountServiceAccountToken must be false (the services never call the Kubernetes API)');

  for (const container of [...list(pod.initContainers), ...list(pod.containers)].map(record)) {
    const name = `container "${String(container.name)}"`;
    for (const field of unknownContainerFields(container)) report(object, `${name} has unknown field "${field}"`);

    const image = typeof container.image === 'string' ? parseImage(container.image) : undefined;
    if (!image) report(object, `${name} has no image`);
    else if (!image.digest && (!image.tag || image.tag === 'latest'))
      report(object, `${name} image "${String(container.image)}" must name a tag other than latest, or a digest`);

    const resources = record(container.resources);
    for (const [kind, resource] of [
      ['requests', 'cpu'],
      ['requests', 'memory'],
      ['limits', 'memory'],
    ] as const) {
      if (record(resources[kind])[resource] === undefined)
        report(object, `${name} has no resources.${kind}.${resource}`);
    }

    const containerSecurity = record(container.securityContext);
    if (containerSecurity.runAsNonRoot === false || containerSecurity.runAsUser === 0)
      report(object, `${name} overrides the pod to run as root`);
    if (containerSecurity.allowPrivilegeEscalation !== false)
      report(object, `${name} securityContext.allowPrivilegeEscalation must be false`);
    if (containerSecurity.readOnlyRootFilesystem !== true)
      report(object, `${name} securityContext.readOnlyRootFilesystem must be true`);
    if (!list(record(containerSecurity.capabilities).drop).includes('ALL'))
      report(object, `${name} must drop ALL capabilities`);
    if (containerSecurity.privileged === true) report(object, `${name} must not be privileged`);

    for (const variable of list(container.env).map(record)) {
      const variableName = String(variable.name);
      if (SECRET_VARIABLE.test(variableName) && !isRecord(record(variable.valueFrom).secretKeyRef)) {
        report(
          object,
          `${name} env ${variableName} is a secret: take it from a Secret (valueFrom.secretKeyRef), never a literal`,
        );
      }
      const secretRef = record(record(variable.valueFrom).secretKeyRef);
      if (secretRef.name !== undefined)
        checkReference(object, 'Secret', String(secretRef.name), objects, report, String(secretRef.key));
      const configRef = record(record(variable.valueFrom).configMapKeyRef);
      if (configRef.name !== undefined)
        checkReference(object, 'ConfigMap', String(configRef.name), objects, report, String(configRef.key));
    }
    for (const source of list(container.envFrom).map(record)) {
      if (isRecord(source.configMapRef))
        checkReference(object, 'ConfigMap', String(source.configMapRef.name), objects, report);
      if (isRecord(source.secretRef)) checkReference(object, 'Secret', String(source.secretRef.name), objects, report);
    }
  }
  for (const volume of list(pod.volumes).map(record)) {
    if (isRecord(volume.configMap)) checkReference(object, 'ConfigMap', String(volume.configMap.name), objects, report);
    if (isRecord(volume.secret)) checkReference(object, 'Secret', String(volume.secret.secretName), objects, report);
  }
}

function checkReference(
  from: KubernetesObject,
  kind: 'Secret' | 'ConfigMap',
  name: string,
  objects: KubernetesObject[],
  report: Report,
  key?: string,
): void {
  const target = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!target) {
    if (!(PROVISIONED_OUTSIDE_THE_REPO[kind] as readonly string[]).includes(name)) {
      report(
        from,
        `references ${kind} "${name}", which is neither in the overlay nor provisioned outside the repository (PROVISIONED_OUTSIDE_THE_REPO)`,
      );
    }
    return;
  }
  if (key !== undefined && !(key in record(target.data)) && !(key in record(target.stringData))) {
    report(from, `references key "${key}" of ${kind} "${name}", which has no such key`);
  }
}

// ---------------------------------------------------------------------------
// Deployments and what each service needs

function checkDeployment(deployment: KubernetesObject, report: Report): void {
  const spec = record(deployment.spec);
  const templateLabels = labelsOf(record(record(spec.template).metadata));
  if (!selects(record(spec.selector), templateLabels))
    report(deployment, 'selector does not match its own pod template labels');

  for (const container of list(record(record(spec.template).spec).containers).map(record)) {
    const name = `container "${String(container.name)}"`;
    const ports = list(container.ports).map(record);
    for (const [probe, expectedPath] of [
      ['readinessProbe', '/ready'],
      ['livenessProbe', '/health'],
    ] as const) {
      const httpGet = record(record(container[probe]).httpGet);
      if (!isRecord(container[probe])) {
        report(deployment, `${name} has no ${probe}`);
        continue;
      }
      if (httpGet.path !== expectedPath) report(deployment, `${name} ${probe} must be an HTTP GET of ${expectedPath}`);
      const port = httpGet.port;
      if (!ports.some((declared) => declared.name === port || declared.containerPort === port)) {
        report(deployment, `${name} ${probe} targets port ${String(port)}, which the container does not declare`);
      }
    }
  }
}

function checkService(service: GraphService, objects: KubernetesObject[], report: Report): void {
  const find = (kind: string, name: string) =>
    objects.find((object) => object.kind === kind && object.metadata.name === name);
  const deployment = find('Deployment', service.name);
  if (!deployment) {
    report(`Deployment/${service.name}`, `missing: the ${service.role} ${service.name} is not deployed`);
    return;
  }
  const podTemplate = record(record(deployment.spec).template);
  const podLabels = labelsOf(record(podTemplate.metadata));
  const containers = list(record(podTemplate.spec).containers).map(record);
  const main = containers.find((container) => container.name === service.name) ?? containers[0] ?? {};
  const env = new Map(
    list(main.env)
      .map(record)
      .map((variable) => [String(variable.name), variable]),
  );

  if (
    !list(main.ports)
      .map(record)
      .some((port) => port.containerPort === service.port)
  ) {
    report(
      deployment,
      `container does not expose the ${service.name} port ${service.port} (from supergraph.yaml / its config)`,
    );
  }

  const kubernetesService = find('Service', service.name);
  if (!kubernetesService) report(`Service/${service.name}`, `missing: nothing routes to the ${service.name} pods`);
  else {
    if (!selects({ matchLabels: record(record(kubernetesService.spec).selector) }, podLabels))
      report(kubernetesService, `selector does not match the ${service.name} pods`);
    if (
      !list(record(kubernetesService.spec).ports)
        .map(record)
        .some((port) => port.port === service.port)
    ) {
      report(kubernetesService, `does not serve port ${service.port}, the port the graph's URLs use`);
    }
  }

  const budgets = objects.filter(
    (object) => object.kind === 'PodDisruptionBudget' && selects(record(record(object.spec).selector), podLabels),
  );
  if (budgets.length === 0) report(deployment, 'no PodDisruptionBudget selects its pods');

  if (service.role === 'gateway') {
    const autoscaler = objects.find(
      (object) =>
        object.kind === 'HorizontalPodAutoscaler' && record(record(object.spec).scaleTargetRef).name === service.name,
    );
    if (!autoscaler) report(deployment, 'no HorizontalPodAutoscaler scales the gateway');
    else if (record(deployment.spec).replicas !== undefined)
      report(deployment, 'sets replicas although its HorizontalPodAutoscaler owns the count');
    return;
  }

  if (env.get('MIGRATE_ON_START')?.value !== 'false')
    report(deployment, 'must set MIGRATE_ON_START="false": its migration Job applies migrations');
  if (service.databaseVariable && !env.has(service.databaseVariable))
    report(deployment, `does not set ${service.databaseVariable}`);

  const job = find('Job', `${service.name}-migrate`);
  if (!job) {
    report(`Job/${service.name}-migrate`, `missing: nothing applies the ${service.name} subgraph's migrations`);
    return;
  }
  const jobContainers = list(record(record(record(job.spec).template).spec).containers).map(record);
  const command = jobContainers
    .flatMap((container) => [...list(container.command), ...list(container.args)])
    .map(String);
  if (!command.some((part) => part === `${service.dir}/dist/migrate.js`))
    report(job, `does not run ${service.dir}/dist/migrate.js`);
  if (!jobContainers.some((container) => container.image === main.image)) {
    report(
      job,
      `image differs from Deployment/${service.name}'s (${String(main.image)}): migrations must come from the build being deployed`,
    );
  }
  const [annotation, value] = MIGRATION_ORDER_ANNOTATION;
  if (job.metadata.annotations?.[annotation] !== value)
    report(job, `needs annotation ${annotation}: ${value} so it runs before the Deployment`);
}

/** Services, PodDisruptionBudgets and autoscalers must each point at a Deployment of the overlay. */
function checkSelectorsMatch(objects: KubernetesObject[], report: Report): void {
  const deployments = objects.filter((object) => object.kind === 'Deployment');
  const podLabels = deployments.map((deployment) =>
    labelsOf(record(record(record(deployment.spec).template).metadata)),
  );
  for (const object of objects) {
    const spec = record(object.spec);
    if (
      object.kind === 'Service' &&
      !podLabels.some((labels) => selects({ matchLabels: record(spec.selector) }, labels))
    ) {
      report(object, "selects no Deployment's pods");
    }
    if (object.kind === 'PodDisruptionBudget' && !podLabels.some((labels) => selects(record(spec.selector), labels))) {
      report(object, "selects no Deployment's pods");
    }
    if (object.kind === 'HorizontalPodAutoscaler') {
      const target = record(spec.scaleTargetRef);
      if (!deployments.some((deployment) => target.kind === 'Deployment' && deployment.metadata.name === target.name)) {
        report(object, `scales ${String(target.kind)}/${String(target.name)}, which is not in the overlay`);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// NetworkPolicies

/** Who an ingress rule admits: pods named by app.kubernetes.io/name, or everyone. */
interface Admitted {
  names: Set<string>;
  /** A rule admits everyone, another namespace or an address block. */
  outside: boolean;
  ports: Set<unknown>;
  /** Some rule admits every port. */
  allPorts: boolean;
}

function checkNetworkPolicies(objects: KubernetesObject[], services: GraphService[], report: Report): void {
  const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
  const defaultDeny = policies.some((policy) => {
    const spec = record(policy.spec);
    return (
      Object.keys(record(spec.podSelector)).length === 0 &&
      list(spec.policyTypes).includes('Ingress') &&
      list(spec.ingress).length === 0
    );
  });
  if (!defaultDeny)
    report('NetworkPolicy/*', 'no default-deny ingress policy (podSelector: {}, policyTypes: [Ingress], no rules)');

  for (const service of services) {
    const deployment = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === service.name);
    if (!deployment) continue;
    const admitted = admittedTo(policies, labelsOf(record(record(record(deployment.spec).template).metadata)));
    if (!admitted.allPorts && !admitted.ports.has(service.port) && !admitted.ports.has('http')) {
      report(
        deployment,
        `no NetworkPolicy admits traffic to port ${service.port}: the default deny makes it unreachable`,
      );
    }
    if (service.role !== 'subgraph') continue;
    if (admitted.outside)
      report(
        deployment,
        'a NetworkPolicy admits traffic from outside the graph; only its callers may reach a subgraph',
      );
    const expected = callersOf(services, service.name);
    for (const caller of expected) {
      if (!admitted.names.has(caller))
        report(deployment, `NetworkPolicies do not admit ${caller}, which calls ${service.name}`);
    }
    for (const name of admitted.names) {
      if (!expected.includes(name))
        report(
          deployment,
          `NetworkPolicies admit ${name}, which never calls ${service.name} (callers: ${expected.join(', ')})`,
        );
    }
  }
}

function admittedTo(policies: KubernetesObject[], podLabels: Labels): Admitted {
  const admitted: Admitted = { names: new Set(), outside: false, ports: new Set(), allPorts: false };
  for (const policy of policies) {
    const spec = record(policy.spec);
    const types = spec.policyTypes === undefined ? ['Ingress'] : list(spec.policyTypes);
    if (!types.includes('Ingress') || !selects(record(spec.podSelector), podLabels)) continue;
    for (const rule of list(spec.ingress).map(record)) {
      const ports = list(rule.ports).map(record);
      if (ports.length === 0) admitted.allPorts = true;
      for (const port of ports) admitted.ports.add(port.port);
      const peers = list(rule.from).map(record);
      if (peers.length === 0) admitted.outside = true;
      for (const peer of peers) {
        if (peer.ipBlock !== undefined || peer.namespaceSelector !== undefined || !isRecord(peer.podSelector)) {
          admitted.outside = true;
          continue;
        }
        const names = namesSelectedBy(record(peer.podSelector));
        if (!names) admitted.outside = true;
        else for (const name of names) admitted.names.add(name);
      }
    }
  }
  return admitted;
}

/** The app.kubernetes.io/name values a pod selector is limited to, or undefined when it is not. */
function namesSelectedBy(selector: Json): string[] | undefined {
  const matchLabels = record(selector.matchLabels);
  if (typeof matchLabels[NAME] === 'string') return [matchLabels[NAME]];
  const expression = list(selector.matchExpressions)
    .map(record)
    .find((candidate) => candidate.key === NAME && candidate.operator === 'In');
  return expression ? list(expression.values).map(String) : undefined;
}

// ---------------------------------------------------------------------------
// helpers

/** The pod spec of a workload that makes pods (Deployment, Job), if any. */
function podSpecOf(object: KubernetesObject): Json | undefined {
  if (object.kind !== 'Deployment' && object.kind !== 'Job') return undefined;
  return record(record(record(object.spec).template).spec);
}

/** Whether a label selector (matchLabels and matchExpressions) selects these labels. */
export function selects(selector: Json, labels: Labels): boolean {
  const matchLabels = Object.entries(record(selector.matchLabels));
  const expressions = list(selector.matchExpressions).map(record);
  const labelsMatch = matchLabels.every(([key, value]) => labels[key] === value);
  const expressionsMatch = expressions.every((expression) => {
    const value = labels[String(expression.key)];
    const values = list(expression.values).map(String);
    switch (expression.operator) {
      case 'In':
        return value !== undefined && values.includes(value);
      case 'NotIn':
        return value === undefined || !values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        return false;
    }
  });
  return labelsMatch && expressionsMatch;
}

function labelsOf(metadata: Json): Labels {
  return record(metadata.labels) as Labels;
}

function record(value: unknown): Json {
  return isRecord(value) ? value : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
