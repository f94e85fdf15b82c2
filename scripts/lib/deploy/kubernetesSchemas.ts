/**
 * Validates rendered objects against the Kubernetes OpenAPI schemas shipped by
 * `kubernetes-models` (types, required fields, formats such as resource quantities).
 * Those schemas allow unknown fields, so a misspelt field is caught only where
 * `unknownContainerFields` looks (containers, where typos hide most).
 */
import type { KubernetesObject } from '../kustomize';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/**
 * kubernetes-models 5 is published as ES modules only (its "exports" have just the
 * "import" condition) while this repository compiles to CommonJS, where TypeScript and
 * the tests' compiler (swc) turn `import()` into a `require()` those exports refuse. A function built
 * at run time keeps a real dynamic import. (Under jest that needs
 * --experimental-vm-modules, which `npm test` passes.)
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the constant source above, not data
const importModule = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<Record<string, unknown>>;

/** The kinds the manifests use, and the module and class of each; any other kind is a problem until added here. */
const MODELS: Record<string, [module: string, className: string]> = {
  'apps/v1 Deployment': ['kubernetes-models/apps/v1/Deployment', 'Deployment'],
  'autoscaling/v2 HorizontalPodAutoscaler': [
    'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    'HorizontalPodAutoscaler',
  ],
  'batch/v1 Job': ['kubernetes-models/batch/v1/Job', 'Job'],
  'networking.k8s.io/v1 NetworkPolicy': ['kubernetes-models/networking.k8s.io/v1/NetworkPolicy', 'NetworkPolicy'],
  'policy/v1 PodDisruptionBudget': ['kubernetes-models/policy/v1/PodDisruptionBudget', 'PodDisruptionBudget'],
  'v1 ConfigMap': ['kubernetes-models/v1/ConfigMap', 'ConfigMap'],
  'v1 Namespace': ['kubernetes-models/v1/Namespace', 'Namespace'],
  'v1 Secret': ['kubernetes-models/v1/Secret', 'Secret'],
  'v1 Service': ['kubernetes-models/v1/Service', 'Service'],
};

/** Schema violations of one object, one message each (empty when valid). */
export type SchemaValidator = (object: KubernetesObject) => string[];

interface SchemaError {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Loads the models once; the returned validator is synchronous. */
export async function loadKubernetesSchemas(): Promise<SchemaValidator> {
  const classes = new Map<string, ModelClass>();
  for (const [key, [module, className]] of Object.entries(MODELS)) {
    const model = (await importModule(module))[className];
    if (typeof model !== 'function')
      throw new Error(`${module} has no ${className} (kubernetes-models changed its layout?)`);
    classes.set(key, model as ModelClass);
  }
  return (object) => {
    const Model = classes.get(`${object.apiVersion} ${object.kind}`);
    if (!Model)
      return [
        `no schema known for apiVersion ${object.apiVersion}, kind ${object.kind} (add it to scripts/lib/deploy/kubernetesSchemas.ts)`,
      ];
    try {
      new Model(object as never).validate();
      return [];
    } catch (error) {
      return describeSchemaErrors(error);
    }
  };
}

function describeSchemaErrors(error: unknown): string[] {
  const errors = (error as { errors?: SchemaError[] }).errors;
  if (!Array.isArray(errors)) return [`schema: ${(error as Error).message}`];
  // oneOf alternatives repeat one mistake several ways; the first message per path is enough.
  const byPath = new Map<string, string>();
  for (const { instancePath = '', message = 'is invalid', params } of errors) {
    const detail = params && 'format' in params ? ` "${String(params.format)}"` : '';
    if (!byPath.has(instancePath)) byPath.set(instancePath, `schema: ${instancePath || '/'} ${message}${detail}`);
  }
  return [...byPath.values()];
}

/** The fields of a core/v1 Container; anything else is a typo the schemas would let through. */
const CONTAINER_FIELDS = new Set([
  'name',
  'image',
  'imagePullPolicy',
  'command',
  'args',
  'workingDir',
  'ports',
  'envFrom',
  'env',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'volumeMounts',
  'volumeDevices',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'securityContext',
  'stdin',
  'stdinOnce',
  'tty',
]);

export function unknownContainerFields(container: Record<string, unknown>): string[] {
  return Object.keys(container).filter((field) => !CONTAINER_FIELDS.has(field));
}
