/**
 * Lints a service's Dockerfile: dockerfile-utils' diagnostics (syntax, arguments,
 * flags), then the project's rules: multi-stage, pinned base images, a slim runtime
 * with production dependencies only, a non-root USER, a HEALTHCHECK, the service's
 * port, CMD in exec form running the service's own build, and every file the
 * service reads at run time copied in. `.dockerignore` must keep secrets and local
 * state out of the context without hiding anything a Dockerfile copies.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { validate } from 'dockerfile-utils';
import { minimatch } from 'minimatch';
import type { GraphService } from './graphServices';
import { problemsIn, type Problem } from './problems';

export interface DockerInstruction {
  keyword: string;
  args: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

export interface DockerStage {
  /** `AS` name, if any. */
  name?: string;
  /** The FROM image as written (ARGs not yet substituted). */
  from: string;
  line: number;
  instructions: DockerInstruction[];
}

export interface ParsedDockerfile {
  /** Defaults of the ARGs declared before the first FROM (the only ones FROM can use). */
  globalArgs: Map<string, string>;
  stages: DockerStage[];
}

/** Splits a Dockerfile into stages and instructions (comments dropped, continuations joined). */
export function parseDockerfile(text: string): ParsedDockerfile {
  const instructions: DockerInstruction[] = [];
  let pending: DockerInstruction | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && !pending)) return;
    const continues = line.endsWith('\\');
    const content = continues ? line.slice(0, -1).trim() : line;
    if (pending) pending.args = `${pending.args} ${content}`.trim();
    else {
      const [keyword = '', ...rest] = content.split(/\s+/);
      pending = { keyword: keyword.toUpperCase(), args: rest.join(' '), line: index + 1 };
    }
    if (!continues) {
      instructions.push(pending);
      pending = undefined;
    }
  });
  if (pending) instructions.push(pending);

  const globalArgs = new Map<string, string>();
  const stages: DockerStage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      const asAt = words.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({
        from: words[0] ?? '',
        name: asAt > 0 ? words[asAt + 1] : undefined,
        line: instruction.line,
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [name = '', value = ''] = instruction.args.split('=', 2);
        globalArgs.set(name.trim(), value.trim());
      }
    } else {
      (stages[stages.length - 1] as DockerStage).instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** The runtime files each kind of service reads next to its dist, beyond node_modules. */
export function runtimeFiles(service: GraphService): string[] {
  const shared = ['supergraph.yaml', 'deploy/docker/healthcheck.cjs'];
  return service.role === 'gateway'
    ? ['supergraph.graphql', ...shared]
    : [`${service.dir}/schema.graphql`, `prisma/${service.name}/migrations`, ...shared];
}

/** The one Dockerfile every service's image is built from, with the service's build arguments. */
export const DOCKERFILE = 'deploy/docker/Dockerfile';

/** The build arguments that make DOCKERFILE build `service` (docker-compose.yml passes them). */
export function imageArgs(service: GraphService): Record<string, string> {
  return { SERVICE_DIR: service.dir, PORT_VARIABLE: service.portVariable, PORT: String(service.port) };
}

/**
 * The Dockerfile as Docker reads it for `service`: its build arguments, and the IMAGE_*
 * variables the runtime stage sets from them, written in. The rules then check that
 * instance as if it were the service's own Dockerfile.
 */
export function dockerfileFor(text: string, service: GraphService): string {
  const args = imageArgs(service);
  const values: Record<string, string> = { ...args };
  for (const [name, value] of Object.entries(args)) values[`IMAGE_${name}`] = value;
  const variable = /\$\{([A-Z_]+)\}|\$([A-Z_]+)\b/g;
  return text.replace(
    variable,
    (whole, braced: string | undefined, bare: string | undefined) => values[braced ?? bare ?? ''] ?? whole,
  );
}

export interface DockerfileContext {
  root: string;
  service: GraphService;
  /** Workspace package directories (npm ci needs each one's package.json). */
  workspaces: string[];
}

/** Every problem with the Dockerfile at `file` (repository-relative). */
export function checkDockerfile(file: string, text: string, context: DockerfileContext): Problem[] {
  const { problems, problem } = problemsIn(file);
  const { service } = context;

  for (const diagnostic of validate(text)) {
    // The language server's type allows rich text (MarkupContent) too; interpolating that would print [object Object].
    const message = typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
    problem(`line ${diagnostic.range.start.line + 1}`, `dockerfile-utils: ${message}`);
  }

  const { globalArgs, stages } = parseDockerfile(text);
  const final = stages[stages.length - 1];
  if (!final) {
    problem('Dockerfile', 'has no FROM');
    return problems;
  }
  if (stages.length < 2)
    problem('Dockerfile', 'must be multi-stage: build with dev dependencies, run with production ones only');

  const stageNames = new Set<string>();
  for (const stage of stages) {
    const where = `stage ${stage.name ?? stages.indexOf(stage)} (line ${stage.line})`;
    if (!stageNames.has(stage.from)) {
      const image = stage.from.replace(
        /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
        (_, name: string) => globalArgs.get(name) ?? `\${${name}}`,
      );
      if (image.includes('$')) problem(where, `base image "${stage.from}" uses an ARG without a default`);
      else if (!/@sha256:/.test(image) && !/:[^/]+$/.test(image))
        problem(where, `base image "${image}" has no tag (implicitly latest)`);
      else if (/:latest(@|$)/.test(image)) problem(where, `base image "${image}" uses the latest tag`);
      else if (stage === final && !/(slim|alpine|distroless)/.test(image))
        problem(where, `runtime image "${image}" is not a slim one`);
    }
    if (stage.name) stageNames.add(stage.name);

    const runs = stage.instructions.filter((instruction) => instruction.keyword === 'RUN');
    if (runs.some((run) => /\bnpm ci\b/.test(run.args))) {
      const copies = lineageOf(stages, stage).flatMap(copiesOf);
      for (const workspace of context.workspaces) {
        if (!copies.some((copy) => keepsAtItsPath(copy, `${workspace}/package.json`)))
          problem(
            where,
            `runs npm ci without copying ${workspace}/package.json (npm ci needs every workspace's manifest)`,
          );
      }
    }
  }

  const allRuns = stages.flatMap((stage) =>
    stage.instructions.filter((instruction) => instruction.keyword === 'RUN').map((run) => run.args),
  );
  const names = (run: string) =>
    [service.packageName, service.dir].some(
      (name) => run.includes(`--workspace=${name}`) || run.includes(`-w ${name}`),
    );
  if (!allRuns.some((run) => /\bnpm run build\b/.test(run) && names(run)))
    problem('Dockerfile', `never runs npm run build --workspace=${service.packageName}`);
  if (!allRuns.some((run) => /\bnpm ci\b/.test(run) && run.includes('--omit=dev') && names(run))) {
    problem(
      'Dockerfile',
      `never installs production dependencies only (npm ci --omit=dev --workspace=${service.packageName})`,
    );
  }

  checkRuntimeStage(stages, service, problem);
  return problems;
}

function checkRuntimeStage(
  stages: DockerStage[],
  service: GraphService,
  problem: (object: string, message: string) => void,
): void {
  const final = stages[stages.length - 1];
  if (!final) return;
  const where = `stage ${final.name ?? 'final'} (runtime)`;
  const last = (keyword: string) => final.instructions.filter((instruction) => instruction.keyword === keyword).pop();

  const user = last('USER')?.args.split(':')[0];
  if (!user) problem(where, 'has no USER: the service would run as root');
  else if (user === 'root' || user === '0') problem(where, `runs as ${user}`);

  const healthcheck = last('HEALTHCHECK');
  if (!healthcheck || /^NONE\b/i.test(healthcheck.args)) problem(where, 'has no HEALTHCHECK');
  else if (!healthcheck.args.includes(String(service.port)) || !healthcheck.args.includes(service.portVariable)) {
    problem(where, `HEALTHCHECK does not ask the service's port (${service.portVariable}, default ${service.port})`);
  }

  const exposed = final.instructions
    .filter((instruction) => instruction.keyword === 'EXPOSE')
    .flatMap((expose) => expose.args.split(/\s+/));
  if (!exposed.some((port) => port.split('/')[0] === String(service.port)))
    problem(where, `does not EXPOSE ${service.port}`);

  const cmd = last('CMD');
  const command = cmd ? execForm(cmd.args) : undefined;
  const main = `${service.dir}/dist/index.js`;
  if (!cmd) problem(where, 'has no CMD');
  else if (!command) problem(where, 'CMD must use the exec form (["node", ...]) so node receives SIGTERM and drains');
  else if (!runsNode(command, main)) {
    problem(where, `CMD runs ${JSON.stringify(command)}, not ["node", "${main}"] (or a shell that execs it)`);
  }

  // Run-time files reach the runtime stage from the context, directly or through an earlier stage.
  const copied = stages.flatMap(copySources);
  for (const file of runtimeFiles(service)) {
    const covered = copied.some((source) => {
      const bare = source.replace(/\/$/, '');
      return bare === file || file.startsWith(`${bare}/`) || (bare === '.' && !file.includes('/'));
    });
    if (!covered) problem(where, `does not copy ${file}, which the service reads at run time`);
  }
}

/** ["node", main], or a shell that `exec`s node on main (so node still becomes PID 1). */
function runsNode(command: string[], main: string): boolean {
  if (command[0] === 'node') return command[1] === main && command.length === 2;
  const [shell, flag, script] = command;
  if (!shell || !['/bin/sh', 'sh'].includes(shell) || flag !== '-c' || command.length !== 3 || !script) return false;
  return new RegExp(`^exec node "?${main.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"?$`).test(script.trim());
}

/** The context paths a stage's COPY instructions take (not those copied from other stages). */
/**
 * A stage and the earlier stages it is built FROM (`FROM manifests AS build`), oldest first:
 * what its instructions start from.
 */
export function lineageOf(stages: readonly DockerStage[], stage: DockerStage): DockerStage[] {
  const parent = stages.slice(0, stages.indexOf(stage)).find((earlier) => earlier.name === stage.from);
  return parent ? [...lineageOf(stages, parent), stage] : [stage];
}

/** One COPY from the build context: its sources (paths or globs), its destination, and whether it keeps parent folders. */
export interface ContextCopy {
  sources: string[];
  destination: string;
  /** `COPY --parents`: each matched file lands at its own path under the destination. */
  parents: boolean;
}

/** A stage's COPY instructions from the build context (not those copied from other stages). */
export function copiesOf(stage: DockerStage): ContextCopy[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'COPY' && !/--from=/.test(instruction.args))
    .map((copy) => {
      const words = copy.args.split(/\s+/);
      const paths = words.filter((word) => !word.startsWith('--'));
      return {
        sources: paths.slice(0, -1),
        destination: paths[paths.length - 1] ?? '',
        parents: words.includes('--parents'),
      };
    });
}

/** Whether `copy` puts the context file `file` at the same path under its destination (as npm ci needs a manifest). */
function keepsAtItsPath(copy: ContextCopy, file: string): boolean {
  if (copy.parents) return copy.sources.some((source) => minimatch(file, source.replace(/^\.\//, '')));
  return copy.sources.includes(file);
}

/**
 * The context paths a COPY source names: itself, or for a glob (`subgraphs/*\/package.json`)
 * every path under `root` it matches, segment by segment as Docker expands it.
 */
export function expandSource(root: string, source: string): string[] {
  const segments = source.replace(/^\.\//, '').split('/');
  let found = [''];
  for (const segment of segments) {
    const glob = /[*?[]/.test(segment);
    found = found.flatMap((parent) => {
      if (!glob) return existsSync(path.join(root, parent, segment)) ? [path.posix.join(parent, segment)] : [];
      const dir = path.join(root, parent);
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .filter((entry) => minimatch(entry, segment))
        .sort()
        .map((entry) => path.posix.join(parent, entry));
    });
  }
  return found;
}

function copySources(stage: DockerStage): string[] {
  return copiesOf(stage).flatMap((copy) => copy.sources);
}

function execForm(args: string): string[] | undefined {
  if (!args.trim().startsWith('[')) return undefined;
  try {
    const parsed = JSON.parse(args) as unknown;
    return Array.isArray(parsed) && parsed.every((part) => typeof part === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// .dockerignore

/** Paths that must never reach a build context, and one that stands for each. */
const MUST_IGNORE: Array<[what: string, probe: string]> = [
  ['node_modules', 'packages/service-kit/node_modules/x'],
  ['.git', '.git/config'],
  ['local databases and keys (.data)', '.data/keys/jwt-signing-key.pem'],
  ['env files with secrets', 'deploy/compose.env'],
  ['.env files', '.env'],
];

/**
 * Whether `.dockerignore` patterns exclude a path: Docker's rules, as far as these
 * files use them (`*`, `**`, `?`, `!` exceptions; the last matching pattern wins; a
 * path is excluded when it or a parent directory is).
 */
export function isDockerIgnored(patterns: string[], file: string): boolean {
  const parts = file.split('/');
  const candidates = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+/, '').replace(/\/+$/, '');
    const regex = new RegExp(
      `^${pattern
        .split(/(\*\*\/?|\*|\?)/)
        .map((piece) =>
          piece === '**/'
            ? '(?:.*/)?'
            : piece === '**'
              ? '.*'
              : piece === '*'
                ? '[^/]*'
                : piece === '?'
                  ? '[^/]'
                  : piece.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('')}$`,
    );
    if (candidates.some((candidate) => regex.test(candidate))) ignored = !negated;
  }
  return ignored;
}

export function readDockerignore(root: string): string[] | undefined {
  const file = path.join(root, '.dockerignore');
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** `.dockerignore` keeps out what must stay out, and nothing a Dockerfile copies. */
export function checkDockerignore(
  patterns: string[] | undefined,
  copiedByDockerfiles: Map<string, string[]>,
): Problem[] {
  const { problems, problem } = problemsIn('.dockerignore');
  if (!patterns) {
    problem('file', 'missing: the whole checkout (node_modules, .data keys, env files) would be sent as build context');
    return problems;
  }
  for (const [what, probe] of MUST_IGNORE)
    if (!isDockerIgnored(patterns, probe)) problem('patterns', `do not exclude ${what} (e.g. ${probe})`);
  for (const [dockerfile, sources] of copiedByDockerfiles) {
    for (const source of sources) {
      const literal = source.replace(/\*.*$/, '').replace(/\/$/, '');
      if (literal && isDockerIgnored(patterns, literal))
        problem('patterns', `exclude ${source}, which ${dockerfile} copies`);
    }
  }
  return problems;
}

/** Context paths every stage of a Dockerfile copies. */
export function contextSources(text: string): string[] {
  return parseDockerfile(text).stages.flatMap(copySources);
}
