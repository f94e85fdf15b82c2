/**
 * Performs a Dockerfile's production install outside Docker, exactly as its stage does it:
 * the COPY instructions of the stage (and of the stages it is built FROM) from the build context
 * into an empty folder (its WORKDIR),
 * then its RUN npm ci command, with a private npm cache so that the stage's own
 * `npm cache clean` touches nothing else. What that folder's node_modules then holds is
 * what the image's node_modules holds. Used by test/tools/gatewayImage.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copiesOf, expandSource, lineageOf, parseDockerfile } from './dockerfileRules';

export interface ProductionInstall {
  /** The folder standing for the stage's WORKDIR, with its node_modules. */
  dir: string;
  /** The stage's npm ci command, as run. */
  command: string;
}

/** Runs stage `stageName` of the Dockerfile `text` (build arguments already written in) against `root`. */
export function installLikeStage(root: string, text: string, stageName: string, timeoutMs: number): ProductionInstall {
  const { stages } = parseDockerfile(text);
  const stage = stages.find((candidate) => candidate.name === stageName);
  if (!stage) throw new Error(`the Dockerfile has no stage ${stageName}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'image-install-'));
  let command: string | undefined;
  // The stages it is built FROM first (the manifests), then its own instructions.
  for (const instruction of lineageOf(stages, stage).flatMap((step) => step.instructions)) {
    if (instruction.keyword === 'COPY') {
      if (/--from=/.test(instruction.args))
        throw new Error(`${stageName} copies from another stage; only context copies are replayed`);
      const [copy] = copiesOf({ ...stage, instructions: [instruction] });
      for (const source of copy?.sources ?? []) {
        const files = expandSource(root, source);
        if (files.length === 0) throw new Error(`COPY ${source}: not in the build context`);
        for (const file of files) {
          // --parents: the file keeps its path under the destination; else Docker's usual rules.
          if (copy!.parents)
            copyInto(root, file, dir, path.posix.join(copy!.destination, path.posix.dirname(file)) + '/');
          else copyInto(root, file, dir, copy!.destination);
        }
      }
    } else if (instruction.keyword === 'RUN') {
      if (!/\bnpm ci\b/.test(instruction.args))
        throw new Error(`${stageName} runs something other than npm ci: ${instruction.args}`);
      command = instruction.args;
    }
  }
  if (!command) throw new Error(`${stageName} runs no npm ci`);
  const cache = mkdtempSync(path.join(os.tmpdir(), 'image-install-cache-'));
  try {
    execFileSync('/bin/sh', ['-c', command], {
      cwd: dir,
      env: { ...process.env, npm_config_cache: cache, npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
  return { dir, command };
}

function copyInto(root: string, source: string, dir: string, destination: string): void {
  const from = path.join(root, source);
  if (!existsSync(from)) throw new Error(`COPY ${source}: not in the build context`);
  // Docker: a destination ending in / is a folder the source goes into (a folder source: its contents).
  const target = path.join(dir, destination);
  if (statSync(from).isDirectory()) {
    mkdirSync(target, { recursive: true });
    cpSync(from, target, { recursive: true });
  } else {
    const into =
      destination.endsWith('/') || destination === '.' || destination === './'
        ? path.join(target, path.basename(source))
        : target;
    mkdirSync(path.dirname(into), { recursive: true });
    cpSync(from, into);
  }
}

/** Every package installed under `dir`/node_modules, nested ones included (`name` or `@scope/name`). */
export function installedPackages(dir: string): Set<string> {
  const found = new Set<string>();
  const visit = (modules: string): void => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const names = entry.startsWith('@')
        ? readdirSync(path.join(modules, entry)).map((name) => `${entry}/${name}`)
        : [entry];
      for (const name of names) {
        found.add(name);
        visit(path.join(modules, name, 'node_modules'));
      }
    }
  };
  visit(path.join(dir, 'node_modules'));
  // Dependencies npm could not hoist sit in the workspaces' own node_modules.
  for (const workspace of workspaceDirs(dir)) visit(path.join(workspace, 'node_modules'));
  return found;
}

function workspaceDirs(dir: string): string[] {
  const found: string[] = [];
  const visit = (folder: string, depth: number): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const child = path.join(folder, entry.name);
      if (existsSync(path.join(child, 'package.json'))) found.push(child);
      if (depth < 2) visit(child, depth + 1);
    }
  };
  visit(dir, 1);
  return found;
}
