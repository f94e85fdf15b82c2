/**
 * Checks docker-compose.yml without Docker: every reference resolves (depends_on
 * targets, build files, bind-mounted files, named volumes), every depends_on
 * condition can be met (service_healthy needs a healthcheck, completion needs a
 * one-shot service), each subgraph starts after its migration service and with
 * MIGRATE_ON_START=false, the gateway is there, images are pinned, and secrets
 * come from the environment (${VAR}) rather than being written in the file.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { isRecord } from '../kustomize';
import { DOCKERFILE, imageArgs } from './dockerfileRules';
import type { GraphService } from './graphServices';
import { problemsIn, SECRET_VARIABLE, type Problem } from './problems';

const TOP_LEVEL_KEYS = ['name', 'services', 'volumes', 'networks', 'secrets', 'configs'];
const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'];

type Json = Record<string, unknown>;

/** Parses compose YAML as Docker does: merge keys (`<<: *anchor`) included. */
export function parseCompose(text: string): unknown {
  return parse(text, { merge: true });
}

export function checkCompose(file: string, text: string, root: string, services: GraphService[]): Problem[] {
  const { problems, problem } = problemsIn(file);
  let compose: unknown;
  try {
    compose = parseCompose(text);
  } catch (error) {
    problem('file', `YAML: ${(error as Error).message}`);
    return problems;
  }
  if (!isRecord(compose) || !isRecord(compose.services)) {
    problem('file', 'has no services');
    return problems;
  }
  for (const key of Object.keys(compose)) {
    if (!TOP_LEVEL_KEYS.includes(key) && !key.startsWith('x-')) problem('file', `unknown top-level key "${key}"`);
  }
  const declared = (key: string) => new Set(Object.keys(isRecord(compose[key]) ? compose[key] : {}));
  const volumes = declared('volumes');
  const secrets = declared('secrets');
  const all = compose.services;

  for (const [name, raw] of Object.entries(all)) {
    const where = `service ${name}`;
    if (!isRecord(raw)) {
      problem(where, 'is not a mapping');
      continue;
    }
    const service: Json = raw;
    if (!service.image && !service.build) problem(where, 'has neither image nor build');
    if (typeof service.image === 'string' && !service.build && !/[:@][^/]+$/.test(service.image))
      problem(where, `image "${service.image}" has no tag`);
    if (typeof service.image === 'string' && /:latest$/.test(service.image))
      problem(where, `image "${service.image}" uses the latest tag`);

    if (isRecord(service.build)) {
      const context = path.resolve(root, String(service.build.context ?? '.'));
      if (!existsSync(context)) problem(where, `build context ${String(service.build.context)} does not exist`);
      const dockerfile = path.join(context, String(service.build.dockerfile ?? 'Dockerfile'));
      if (!existsSync(dockerfile)) problem(where, `Dockerfile ${path.relative(root, dockerfile)} does not exist`);
    }

    for (const [target, condition] of dependencies(service.depends_on)) {
      const dependency = all[target];
      if (!isRecord(dependency)) {
        problem(where, `depends on "${target}", which is not a service`);
        continue;
      }
      if (!CONDITIONS.includes(condition)) problem(where, `depends on ${target} with unknown condition "${condition}"`);
      if (condition === 'service_healthy' && !hasHealthcheck(dependency))
        problem(where, `waits for ${target} to be healthy, but ${target} has no healthcheck`);
      if (
        condition === 'service_completed_successfully' &&
        dependency.restart !== undefined &&
        dependency.restart !== 'no'
      ) {
        problem(
          where,
          `waits for ${target} to complete, but ${target} restarts (restart: ${String(dependency.restart)})`,
        );
      }
    }

    if (service.healthcheck !== undefined && !hasHealthcheck(service) && !isDisabledHealthcheck(service.healthcheck)) {
      problem(where, 'healthcheck.test must be ["CMD", ...] or ["CMD-SHELL", "..."]');
    }

    for (const volume of Array.isArray(service.volumes) ? service.volumes : []) {
      const source = typeof volume === 'string' ? volume.split(':')[0] : isRecord(volume) ? String(volume.source) : '';
      if (!source) continue;
      if (source.startsWith('.') || source.startsWith('/')) {
        if (!existsSync(path.resolve(root, source))) problem(where, `mounts ${source}, which does not exist`);
      } else if (!volumes.has(source)) {
        problem(where, `uses volume "${source}", not declared under top-level volumes`);
      }
    }
    for (const secret of Array.isArray(service.secrets) ? service.secrets : []) {
      const secretName = isRecord(secret) ? String(secret.source) : String(secret);
      if (!secrets.has(secretName)) problem(where, `uses secret "${secretName}", not declared under top-level secrets`);
    }

    for (const [variable, value] of environment(service.environment)) {
      if (!SECRET_VARIABLE.test(variable) || value === undefined) continue;
      if (!/\$\{[A-Z0-9_]+(:?[?-][^}]*)?\}/.test(value) && !/^redis:\/\/[^@]*$/.test(value)) {
        problem(where, `${variable} is written in the file; take its secret part from the environment (\${VAR})`);
      }
    }
  }

  checkGraphServices(all, services, problem);
  return problems;
}

/** The graph's own services: present, migrated before they start, and not migrating themselves. */
function checkGraphServices(
  all: Json,
  services: GraphService[],
  problem: (object: string, message: string) => void,
): void {
  for (const service of services) {
    const definition = all[service.name];
    const where = `service ${service.name}`;
    if (!isRecord(definition)) {
      problem(where, `missing: the ${service.role} ${service.name} is not part of the compose graph`);
      continue;
    }
    if (!hasHealthcheck(definition)) problem(where, 'has no healthcheck');
    checkImageArgs(definition, service, (message) => problem(where, message));
    if (service.role === 'gateway') continue;
    const env = new Map(environment(definition.environment));
    if (env.get('MIGRATE_ON_START') !== 'false')
      problem(where, 'must set MIGRATE_ON_START: "false" (its migration service migrates)');
    if (service.databaseVariable && !env.has(service.databaseVariable))
      problem(where, `does not set ${service.databaseVariable}`);
    const migration = `${service.name}-migrate`;
    const migrationService = all[migration];
    if (!isRecord(migrationService)) {
      problem(`service ${migration}`, `missing: nothing migrates ${service.name}'s database before it starts`);
      continue;
    }
    if (new Map(dependencies(definition.depends_on)).get(migration) !== 'service_completed_successfully') {
      problem(where, `must depend on ${migration} with condition service_completed_successfully`);
    }
    const command = Array.isArray(migrationService.command)
      ? migrationService.command.map(String)
      : [String(migrationService.command ?? '')];
    if (!command.some((part) => part.includes(`${service.dir}/dist/migrate.js`)))
      problem(`service ${migration}`, `does not run ${service.dir}/dist/migrate.js`);
    if (migrationService.image !== definition.image)
      problem(`service ${migration}`, `image differs from ${service.name}'s: migrations must come from the same build`);
  }
}

/** A graph service built from the one Dockerfile passes the build arguments that select it. */
function checkImageArgs(definition: Json, service: GraphService, problem: (message: string) => void): void {
  if (!isRecord(definition.build)) return;
  if (path.normalize(String(definition.build.dockerfile ?? 'Dockerfile')) !== path.normalize(DOCKERFILE)) {
    problem(`must be built from ${DOCKERFILE}`);
    return;
  }
  const given = isRecord(definition.build.args) ? definition.build.args : {};
  for (const [name, value] of Object.entries(imageArgs(service))) {
    const actual = String(given[name] ?? '');
    if (actual !== value) problem(`build arg ${name} must be "${value}", not "${actual}"`);
  }
}

/** depends_on as [target, condition] pairs (the list form means service_started). */
function dependencies(dependsOn: unknown): Array<[string, string]> {
  if (Array.isArray(dependsOn)) return dependsOn.map((target) => [String(target), 'service_started']);
  if (!isRecord(dependsOn)) return [];
  return Object.entries(dependsOn).map(([target, options]) => [
    target,
    String(isRecord(options) ? (options.condition ?? 'service_started') : 'service_started'),
  ]);
}

/** environment as [name, value] pairs, from either the mapping or the list form. */
function environment(env: unknown): Array<[string, string | undefined]> {
  if (Array.isArray(env)) {
    return env.map((entry) => {
      const [name = '', ...value] = String(entry).split('=');
      return [name, value.length ? value.join('=') : undefined];
    });
  }
  if (!isRecord(env)) return [];
  return Object.entries(env).map(([name, value]) => [
    name,
    value === null || value === undefined ? undefined : String(value),
  ]);
}

function hasHealthcheck(service: Json): boolean {
  const test = isRecord(service.healthcheck) ? service.healthcheck.test : undefined;
  return Array.isArray(test) && (test[0] === 'CMD' || test[0] === 'CMD-SHELL') && test.length > 1;
}

function isDisabledHealthcheck(healthcheck: unknown): boolean {
  return (
    isRecord(healthcheck) &&
    (healthcheck.disable === true || (Array.isArray(healthcheck.test) && healthcheck.test[0] === 'NONE'))
  );
}
