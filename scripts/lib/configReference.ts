/**
 * docs/configuration-reference.md, rendered from the zod schemas every service validates its
 * environment with (`npm run docs:config`), so that the reference cannot drift from the code.
 *
 * Each service's readers run against an empty development environment while
 * `observeConfigShapes` records every shape `readEnv` is given: the variables, their types,
 * defaults and whether they are required come from the schemas themselves. Descriptions come
 * from a schema's `.describe()` when it has one, else from CONFIG_DESCRIPTIONS.
 */
import path from 'node:path';
import { z } from 'zod';
import {
  subgraphNames,
  supervisorPidFromEnv,
  tracingSettingsFromEnv,
  observeConfigShapes,
} from '@car-check/service-kit';
import { eventSigningKeyFromEnv, eventVerifyingKeysFromEnv } from '@car-check/events';
import { loadGatewayConfig } from '../../gateway/src/config';
import { seedPasswordFromEnv } from '../../subgraphs/user/src/auth/config';
import { CONFIG_DESCRIPTIONS, NOT_IN_SCHEMAS } from './configDescriptions';
import { loadSubgraph } from './subgraphs';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The owners whose events a subgraph consumes (the car's replica reads cost-center's; the webhook subgraph delivers all three owners'). */
const EVENT_OWNERS_CONSUMED: Record<string, string[]> = {
  car: ['cost-center'],
  webhook: ['car', 'cost-center', 'user'],
};

/** One environment variable as its schema declares it. */
export interface ConfigVariable {
  name: string;
  type: string;
  /** The default as written in the environment, or undefined when there is none. */
  defaultValue: string | undefined;
  required: boolean;
  description: string | undefined;
}

export interface ServiceConfig {
  service: string;
  variables: ConfigVariable[];
}

/** Runs `readers` and returns every variable their schemas declare, by name. */
function recordVariables(readers: Array<(env: NodeJS.ProcessEnv) => unknown>): Map<string, z.ZodType> {
  const seen = new Map<string, z.ZodType>();
  observeConfigShapes((shape) => {
    for (const [name, schema] of Object.entries(shape)) if (!seen.has(name)) seen.set(name, schema as z.ZodType);
  });
  try {
    // An empty environment is a valid development one: every reader reaches every schema.
    for (const read of readers) read({});
  } finally {
    observeConfigShapes(undefined);
  }
  return seen;
}

/** Every service's configuration, in the order supergraph.yaml lists the subgraphs. */
export function collectServiceConfigs(): ServiceConfig[] {
  const common = [
    (env: NodeJS.ProcessEnv) => tracingSettingsFromEnv(env),
    (env: NodeJS.ProcessEnv) => supervisorPidFromEnv(env),
  ];
  const services: Array<[string, Array<(env: NodeJS.ProcessEnv) => unknown>]> = [
    ['gateway', [(env) => loadGatewayConfig(env), ...common]],
    ...subgraphNames().map((name): [string, Array<(env: NodeJS.ProcessEnv) => unknown>] => [
      name,
      [
        (env) => loadSubgraph(name).loadConfig(env),
        (env) => eventSigningKeyFromEnv(name, env, false),
        ...(EVENT_OWNERS_CONSUMED[name] ?? []).map(
          (owner) => (env: NodeJS.ProcessEnv) => eventVerifyingKeysFromEnv(owner, env, false),
        ),
        ...(name === 'user' ? [(env: NodeJS.ProcessEnv) => seedPasswordFromEnv(env)] : []),
        ...common,
      ],
    ]),
  ];
  return services.map(([service, readers]) => ({
    service,
    variables: [...recordVariables(readers)]
      .map(([name, schema]) => describeVariable(name, schema))
      .sort((a, b) => a.name.localeCompare(b.name)),
  }));
}

function describeVariable(name: string, schema: z.ZodType): ConfigVariable {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const fallback = schema.safeParse(undefined);
  return {
    name,
    type: typeOf(json),
    defaultValue: defaultOf(schema, json),
    required: !fallback.success,
    description: descriptionOf(schema) ?? CONFIG_DESCRIPTIONS[name],
  };
}

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minLength?: number;
  default?: unknown;
  description?: string;
}

const FLAG_VALUES = ['0', '1', 'true', 'false', 'yes', 'no'];

function typeOf(json: JsonSchema): string {
  if (json.enum) {
    const values = json.enum.map(String);
    if (values.length === FLAG_VALUES.length && values.every((value) => FLAG_VALUES.includes(value))) {
      return 'boolean (`true`/`false`, `1`/`0`, `yes`/`no`)';
    }
    return values.map((value) => `\`${value}\``).join(', ');
  }
  if (json.type === 'integer' || json.type === 'number') return `${json.type}${rangeOf(json)}`;
  if (json.format === 'uri') return 'URL';
  if (json.pattern) return `string matching \`${json.pattern}\``;
  if (json.minLength === 1) return 'non-empty string';
  if (json.minLength) return `string, at least ${json.minLength} characters`;
  return json.type ?? 'string';
}

/** Bounds as written in the schema; the safe-integer limits zod adds to `.int()` are no bound. */
function rangeOf(json: JsonSchema): string {
  const max = json.maximum !== undefined && json.maximum < Number.MAX_SAFE_INTEGER ? json.maximum : undefined;
  const min = json.minimum !== undefined && json.minimum > Number.MIN_SAFE_INTEGER ? json.minimum : undefined;
  if (min !== undefined && max !== undefined) return ` ${min}–${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (json.exclusiveMinimum !== undefined) return ` > ${json.exclusiveMinimum}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return '';
}

/** The default as one would write it in the environment; paths inside the repository relative to it. */
function defaultOf(schema: z.ZodType, json: JsonSchema): string | undefined {
  let value = json.default;
  if (value === undefined) {
    const parsed = schema.safeParse(undefined);
    value = parsed.success ? parsed.data : undefined;
  }
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && path.isAbsolute(value) && value.startsWith(REPO_ROOT)) {
    return path.relative(REPO_ROOT, value) || '.';
  }
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** A `.describe()` on the schema or on what it wraps (optional, default, pipe). */
function descriptionOf(schema: z.ZodType): string | undefined {
  for (let current: z.ZodType | undefined = schema; current;) {
    if (current.description) return current.description;
    const def = current.def as { innerType?: z.ZodType; in?: z.ZodType };
    current = def.innerType ?? def.in;
  }
  return undefined;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The whole page, deterministic: services in registry order, variables by name. */
export function renderConfigReference(services: ServiceConfig[] = collectServiceConfigs()): string {
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs:config` (scripts/docs-config.ts) from the zod schemas. Do not edit. -->',
    '',
    'Every variable each service reads at start-up, from the schemas that validate it. A bad value stops',
    'the service with a message naming the variable. Empty values count as unset. How to use them:',
    '[configuration.md](configuration.md).',
    '',
    '"required" means no value works without it; some variables are required in production only, which',
    'their description says.',
    '',
  ];
  for (const { service, variables } of services) {
    lines.push(`## ${service}`, '', '| variable | type | default | required | description |', '|---|---|---|---|---|');
    for (const variable of variables) {
      const defaultValue = variable.defaultValue === undefined ? '' : `\`${cell(variable.defaultValue)}\``;
      const required = variable.required ? 'yes' : 'no';
      const cells = [
        `\`${variable.name}\``,
        cell(variable.type),
        defaultValue,
        required,
        cell(variable.description ?? ''),
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
    lines.push('');
  }
  lines.push('## Read outside the schemas', '', '| variable | read by | description |', '|---|---|---|');
  for (const [name, { readBy, description }] of Object.entries(NOT_IN_SCHEMAS)) {
    lines.push(`| \`${name}\` | ${readBy} | ${cell(description)} |`);
  }
  lines.push('');
  return lines.join('\n');
}
