/**
 * A small, offline stand-in for `kustomize build`, supporting exactly the features
 * deploy/k8s uses: resources (files and directories), namespace, labels, images,
 * patches (strategic merge, matched by kind and name), and configMapGenerator /
 * secretGenerator with literals and fixed names. Anything else fails loudly with a
 * KustomizeError naming the file and the key, so a manifest can never silently mean
 * something else here than in a real cluster.
 *
 * Transformations run in kustomize's order (patches, namespace, labels, images), each
 * over what its own kustomization loaded: a base's labels reach the base's objects,
 * not an overlay's.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RenderedObject {
  object: KubernetesObject;
  /** The file the object was read from (or the kustomization that generated it). */
  source: string;
}

/** A kustomization this renderer cannot render faithfully, or a broken one. */
export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

const KUSTOMIZATION_FILE = 'kustomization.yaml';
const SUPPORTED_KEYS = [
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'labels',
  'images',
  'patches',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
] as const;

/** Renders the kustomization in `dir` (a directory holding kustomization.yaml). */
export function renderKustomization(dir: string): RenderedObject[] {
  return render(path.resolve(dir), []);
}

/** `${kind}/${name}`, how problems name an object. */
export function objectId(object: Pick<KubernetesObject, 'kind' | 'metadata'>): string {
  return `${object.kind}/${object.metadata?.name}`;
}

function render(dir: string, stack: string[]): RenderedObject[] {
  const file = path.join(dir, KUSTOMIZATION_FILE);
  if (stack.includes(dir)) throw new KustomizeError(file, `resources form a cycle: ${[...stack, dir].join(' -> ')}`);
  if (!existsSync(file)) throw new KustomizeError(file, `missing (only ${KUSTOMIZATION_FILE} is supported)`);
  const spec = readKustomization(file);

  const objects: RenderedObject[] = [];
  for (const entry of list(spec, 'resources', file)) objects.push(...loadResource(dir, file, entry, [...stack, dir]));
  objects.push(...generate(spec, file));
  rejectDuplicates(objects, file);

  for (const entry of list(spec, 'patches', file)) applyPatchFile(objects, dir, file, entry);
  if (spec.namespace !== undefined) setNamespace(objects, spec.namespace, file);
  for (const entry of list(spec, 'labels', file)) addLabels(objects, entry, file);
  for (const entry of list(spec, 'images', file)) setImage(objects, entry, file);
  return objects;
}

function readKustomization(file: string): Record<string, unknown> & { namespace?: string } {
  const spec = parseSingleDocument(file);
  for (const key of Object.keys(spec)) {
    if (!(SUPPORTED_KEYS as readonly string[]).includes(key)) {
      throw new KustomizeError(
        file,
        `unsupported kustomization key "${key}" (supported: ${SUPPORTED_KEYS.join(', ')})`,
      );
    }
  }
  if (spec.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || spec.kind !== 'Kustomization') {
    throw new KustomizeError(file, 'must be apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization');
  }
  if (spec.namespace !== undefined && (typeof spec.namespace !== 'string' || spec.namespace === '')) {
    throw new KustomizeError(file, '"namespace" must be a non-empty string');
  }
  return spec as Record<string, unknown> & { namespace?: string };
}

function parseSingleDocument(file: string): Record<string, unknown> {
  const documents = parseYamlFile(file);
  const [only] = documents;
  if (documents.length !== 1 || !isRecord(only)) throw new KustomizeError(file, 'must hold exactly one YAML mapping');
  return only;
}

/** Every non-empty document of a YAML file, failing on syntax errors. */
function parseYamlFile(file: string): unknown[] {
  const text = readFileSync(file, 'utf8');
  return parseAllDocuments(text)
    .map((document) => {
      const [error] = document.errors;
      if (error) throw new KustomizeError(file, `YAML: ${error.message}`);
      return document.toJS() as unknown;
    })
    .filter((document) => document !== null && document !== undefined);
}

function list(spec: Record<string, unknown>, key: string, file: string): unknown[] {
  const value = spec[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new KustomizeError(file, `"${key}" must be a list`);
  return value;
}

// ---------------------------------------------------------------------------
// resources and generators

function loadResource(dir: string, file: string, entry: unknown, stack: string[]): RenderedObject[] {
  if (typeof entry !== 'string') throw new KustomizeError(file, 'each resource must be a path');
  if (/^[a-z]+:\/\//i.test(entry) || entry.startsWith('github.com/')) {
    throw new KustomizeError(file, `remote resource "${entry}" is not supported (offline renderer)`);
  }
  const target = path.resolve(dir, entry);
  if (!existsSync(target)) throw new KustomizeError(file, `resource "${entry}" does not exist`);
  if (statSync(target).isDirectory()) return render(target, stack);
  requireWithin(dir, target, file, 'resource');
  return parseYamlFile(target).map((document) => ({ object: asKubernetesObject(document, target), source: target }));
}

/** kustomize's load restrictor: files (not other kustomizations) must sit under the kustomization. */
function requireWithin(dir: string, target: string, file: string, what: string): void {
  const relative = path.relative(dir, target);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new KustomizeError(
      file,
      `${what} file "${relative}" is outside the kustomization's directory (kustomize refuses it)`,
    );
  }
}

function asKubernetesObject(document: unknown, file: string): KubernetesObject {
  if (!isRecord(document)) throw new KustomizeError(file, 'a document is not a mapping');
  const metadata = document.metadata;
  if (
    typeof document.apiVersion !== 'string' ||
    typeof document.kind !== 'string' ||
    !isRecord(metadata) ||
    typeof metadata.name !== 'string'
  ) {
    throw new KustomizeError(file, 'every object needs apiVersion, kind and metadata.name');
  }
  return document as KubernetesObject;
}

function rejectDuplicates(objects: RenderedObject[], file: string): void {
  const seen = new Set<string>();
  for (const { object } of objects) {
    const key = `${object.apiVersion} ${objectId(object)} ${object.metadata.namespace ?? ''}`;
    if (seen.has(key)) throw new KustomizeError(file, `${objectId(object)} is defined twice`);
    seen.add(key);
  }
}

const GENERATOR_KEYS = ['name', 'literals'];

function generate(spec: Record<string, unknown>, file: string): RenderedObject[] {
  const configMaps = list(spec, 'configMapGenerator', file);
  const secrets = list(spec, 'secretGenerator', file);
  if (configMaps.length + secrets.length === 0) {
    if (spec.generatorOptions !== undefined) throw new KustomizeError(file, '"generatorOptions" without generators');
    return [];
  }
  // kustomize appends a content hash to generated names and rewrites every reference
  // to them; this renderer does not, so it insists on fixed names.
  const options = spec.generatorOptions;
  if (!isRecord(options) || options.disableNameSuffixHash !== true || Object.keys(options).length !== 1) {
    throw new KustomizeError(
      file,
      'generators need generatorOptions: { disableNameSuffixHash: true } and nothing else (name hashing is not supported)',
    );
  }
  const generated = (entry: unknown, kind: 'ConfigMap' | 'Secret'): RenderedObject => {
    if (!isRecord(entry)) throw new KustomizeError(file, `a ${kind} generator entry must be a mapping`);
    const unsupported = Object.keys(entry).filter((key) => !GENERATOR_KEYS.includes(key));
    if (unsupported.length > 0)
      throw new KustomizeError(
        file,
        `unsupported ${kind} generator key "${unsupported[0]}" (supported: ${GENERATOR_KEYS.join(', ')})`,
      );
    if (typeof entry.name !== 'string') throw new KustomizeError(file, `a ${kind} generator needs a name`);
    const data: Record<string, string> = {};
    for (const literal of list(entry, 'literals', file)) {
      const at = typeof literal === 'string' ? literal.indexOf('=') : -1;
      if (typeof literal !== 'string' || at <= 0)
        throw new KustomizeError(file, `${kind} ${entry.name}: literal must be KEY=VALUE`);
      const value = literal.slice(at + 1);
      data[literal.slice(0, at)] = kind === 'Secret' ? Buffer.from(value).toString('base64') : value;
    }
    const object: KubernetesObject = { apiVersion: 'v1', kind, metadata: { name: entry.name }, data };
    if (kind === 'Secret') object.type = 'Opaque';
    return { object, source: file };
  };
  return [
    ...configMaps.map((entry) => generated(entry, 'ConfigMap')),
    ...secrets.map((entry) => generated(entry, 'Secret')),
  ];
}

// ---------------------------------------------------------------------------
// patches: strategic merge, one target per patch document, matched by kind and name

function applyPatchFile(objects: RenderedObject[], dir: string, file: string, entry: unknown): void {
  if (!isRecord(entry) || typeof entry.path !== 'string' || Object.keys(entry).length !== 1) {
    throw new KustomizeError(
      file,
      'each patch must be { path: <file> } (inline patches, targets and JSON 6902 are not supported)',
    );
  }
  const patchFile = path.resolve(dir, entry.path);
  if (!existsSync(patchFile)) throw new KustomizeError(file, `patch "${entry.path}" does not exist`);
  requireWithin(dir, patchFile, file, 'patch');
  for (const document of parseYamlFile(patchFile)) {
    const patch = asKubernetesObject(document, patchFile);
    const targets = objects.filter(
      ({ object }) =>
        object.apiVersion === patch.apiVersion &&
        object.kind === patch.kind &&
        object.metadata.name === patch.metadata.name &&
        (patch.metadata.namespace === undefined || object.metadata.namespace === patch.metadata.namespace),
    );
    if (targets.length !== 1) {
      throw new KustomizeError(
        patchFile,
        `patch for ${objectId(patch)} matches ${targets.length} objects (must match exactly one)`,
      );
    }
    const [target] = targets as [RenderedObject];
    target.object = strategicMerge(target.object, patch, patchFile, objectId(patch)) as KubernetesObject;
  }
}

/**
 * Lists merged item by item on their Kubernetes patch merge key; every other list is
 * replaced by the patch's, as the API server's strategic merge does for these fields.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  imagePullSecrets: 'name',
};
/** `ports` merges on containerPort in a container and on port in a Service. */
const portsMergeKey = (items: unknown[]) =>
  items.some((item) => isRecord(item) && 'containerPort' in item) ? 'containerPort' : 'port';

function strategicMerge(base: unknown, patch: unknown, file: string, where: string): unknown {
  if (!isRecord(patch) || !isRecord(base)) return patch;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) throw new KustomizeError(file, `${where}: patch directive "${key}" is not supported`);
    if (value === null) {
      delete merged[key];
    } else if (Array.isArray(value) && Array.isArray(base[key]) && (key in MERGE_KEYS || key === 'ports')) {
      const mergeKey = MERGE_KEYS[key] ?? portsMergeKey([...(value as unknown[]), ...(base[key] as unknown[])]);
      merged[key] = mergeList(base[key] as unknown[], value, mergeKey, file, `${where}.${key}`);
    } else {
      merged[key] = strategicMerge(base[key], value, file, `${where}.${key}`);
    }
  }
  return merged;
}

function mergeList(base: unknown[], patch: unknown[], mergeKey: string, file: string, where: string): unknown[] {
  const result = [...base];
  for (const item of patch) {
    if (!isRecord(item) || item[mergeKey] === undefined)
      throw new KustomizeError(file, `${where}: every item needs its merge key "${mergeKey}"`);
    const at = result.findIndex((existing) => isRecord(existing) && existing[mergeKey] === item[mergeKey]);
    if (at === -1) result.push(item);
    else result[at] = strategicMerge(result[at], item, file, `${where}[${String(item[mergeKey])}]`);
  }
  return result;
}

// ---------------------------------------------------------------------------
// namespace, labels, images

const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
]);
/** Kinds whose fields name namespaces that kustomize rewrites too; not modelled here. */
const NAMESPACE_SENSITIVE_KINDS = new Set([
  'RoleBinding',
  'ClusterRoleBinding',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
]);

function setNamespace(objects: RenderedObject[], namespace: string, file: string): void {
  for (const { object } of objects) {
    if (NAMESPACE_SENSITIVE_KINDS.has(object.kind)) {
      throw new KustomizeError(file, `${objectId(object)}: namespace rewriting of ${object.kind} is not supported`);
    }
    if (object.kind === 'Namespace' && object.metadata.name !== namespace) {
      throw new KustomizeError(file, `${objectId(object)}: a Namespace other than "${namespace}" is not supported`);
    }
    if (!CLUSTER_SCOPED_KINDS.has(object.kind)) object.metadata = { ...object.metadata, namespace };
  }
}

const LABEL_KEYS = ['pairs', 'includeSelectors', 'includeTemplates'];
/** Where each workload keeps the labels of the pods it makes. */
const POD_TEMPLATE_PATHS: Record<string, string[][]> = {
  Deployment: [['spec', 'template']],
  ReplicaSet: [['spec', 'template']],
  StatefulSet: [['spec', 'template']],
  DaemonSet: [['spec', 'template']],
  Job: [['spec', 'template']],
  CronJob: [
    ['spec', 'jobTemplate'],
    ['spec', 'jobTemplate', 'spec', 'template'],
  ],
};

function addLabels(objects: RenderedObject[], entry: unknown, file: string): void {
  if (!isRecord(entry) || !isRecord(entry.pairs)) throw new KustomizeError(file, 'each labels entry needs "pairs"');
  const unsupported = Object.keys(entry).filter((key) => !LABEL_KEYS.includes(key));
  if (unsupported.length > 0)
    throw new KustomizeError(file, `unsupported labels key "${unsupported[0]}" (supported: ${LABEL_KEYS.join(', ')})`);
  // Selectors are immutable on Deployments and Jobs: labels that reach them are not supported.
  if (entry.includeSelectors === true)
    throw new KustomizeError(file, 'labels with includeSelectors: true are not supported');
  const pairs = Object.fromEntries(Object.entries(entry.pairs).map(([key, value]) => [key, String(value)]));
  for (const rendered of objects) {
    const object = rendered.object;
    object.metadata = { ...object.metadata, labels: { ...object.metadata.labels, ...pairs } };
    if (entry.includeTemplates !== true) continue;
    for (const templatePath of POD_TEMPLATE_PATHS[object.kind] ?? []) {
      const template = at(object, templatePath);
      if (!isRecord(template)) continue;
      const metadata = isRecord(template.metadata) ? template.metadata : {};
      template.metadata = {
        ...metadata,
        labels: { ...(metadata.labels as Record<string, string> | undefined), ...pairs },
      };
    }
  }
}

const IMAGE_KEYS = ['name', 'newName', 'newTag', 'digest'];

function setImage(objects: RenderedObject[], entry: unknown, file: string): void {
  if (!isRecord(entry) || typeof entry.name !== 'string')
    throw new KustomizeError(file, 'each images entry needs a name');
  const unsupported = Object.keys(entry).filter((key) => !IMAGE_KEYS.includes(key));
  if (unsupported.length > 0)
    throw new KustomizeError(file, `unsupported images key "${unsupported[0]}" (supported: ${IMAGE_KEYS.join(', ')})`);
  const { name, newName, newTag, digest } = entry as Record<string, string | undefined>;
  const replace = (image: string): string => {
    const parsed = parseImage(image);
    if (parsed.name !== name) return image;
    const tag = newTag !== undefined ? String(newTag) : digest !== undefined ? undefined : parsed.tag;
    const finalDigest = digest ?? (newTag !== undefined ? undefined : parsed.digest);
    return `${newName ?? parsed.name}${tag ? `:${tag}` : ''}${finalDigest ? `@${finalDigest}` : ''}`;
  };
  for (const { object } of objects)
    visitContainers(object, (container) => {
      if (typeof container.image === 'string') container.image = replace(container.image);
    });
}

/** Splits `registry:5000/name:tag@sha256:...` into name, tag and digest. */
export function parseImage(image: string): { name: string; tag?: string; digest?: string } {
  const [reference = '', digest] = image.split('@', 2);
  const colon = reference.lastIndexOf(':');
  const hasTag = colon > reference.lastIndexOf('/');
  return {
    name: hasTag ? reference.slice(0, colon) : reference,
    tag: hasTag ? reference.slice(colon + 1) : undefined,
    digest,
  };
}

/** Calls `visit` for every container and init container anywhere in the object. */
function visitContainers(node: unknown, visit: (container: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) visitContainers(item, visit);
    return;
  }
  if (!isRecord(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
      for (const container of value) if (isRecord(container)) visit(container);
    } else {
      visitContainers(value, visit);
    }
  }
}

function at(node: unknown, fields: string[]): unknown {
  return fields.reduce<unknown>((current, field) => (isRecord(current) ? current[field] : undefined), node);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
