import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { formatDuration, readEnv } from '@car-check/service-kit';
import { DEV_PAGES } from '../../gateway/src/devPageList';

const WEB = path.resolve(__dirname, '..', '..', 'web');

/** Where the web package builds its pages by default, and where the gateway serves them from unless WEB_DIST says otherwise. */
const DEFAULT_WEB_DIST = path.join(WEB, 'dist');

/** The folder the gateway serves the pages from: WEB_DIST, read as gateway/src/config.ts reads it. */
function webDistFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(readEnv({ WEB_DIST: z.string().default(DEFAULT_WEB_DIST) }, env).WEB_DIST);
}

/**
 * The pages the gateway serves outside production (the console at /console, the
 * offline explorer at /explorer) come from the web package's build. `npm start`
 * builds them when they are missing, so a fresh clone gets both without a
 * separate step: once the graph answers, not alongside starting it (on 2 cores
 * the build's ~8 CPU-seconds would delay the graph's first answer by about as
 * much). The gateway serves its WEB_DIST as it is on each request, so the pages
 * appear when the build is done; until then their paths say they are not built yet.
 */
export function webPagesMissing(webDist: string = webDistFromEnv()): boolean {
  const built = Object.values(DEV_PAGES).every((page) => existsSync(path.join(webDist, page.folder, 'index.html')));
  return !built && existsSync(path.join(WEB, 'package.json'));
}

/**
 * Builds the pages into `webDist` (each into its folder there) with the web package's own
 * build scripts; resolves to a line saying how it went and how long it took. The browser
 * tests build what they serve with this same function: the console they test is the one
 * npm start serves. `env` adds to the environment (e.g. VITE_PERSISTED_ONLY, a build option).
 */
export async function buildWebPages(webDist: string = webDistFromEnv(), env: NodeJS.ProcessEnv = {}): Promise<string> {
  const startedAt = performance.now();
  const output: string[] = [];
  let code: number | null = 0;
  for (const page of Object.values(DEV_PAGES)) {
    code = await runBuild(page.folder, path.join(webDist, page.folder), env, output);
    if (code !== 0) break;
  }
  const took = formatDuration(performance.now() - startedAt);
  const where = path.relative(path.dirname(WEB), webDist) || webDist;
  return code === 0
    ? `built the console and the explorer (${where}) in ${took}`
    : `could not build the console and the explorer (npm run build:pages -w web), after ${took}:\n${output.join('').slice(-2_000)}`;
}

/** `npm run build:<folder> -w web`, into `outDir`; resolves to its exit code (null if it could not start). */
function runBuild(folder: string, outDir: string, env: NodeJS.ProcessEnv, output: string[]): Promise<number | null> {
  return new Promise<number | null>((resolve) => {
    const args = ['run', `build:${folder}`, '-w', 'web', '--', '--outDir', outDir, '--emptyOutDir'];
    const child = spawn('npm', args, {
      cwd: path.dirname(WEB),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    // Should npm start exit meanwhile (SIGTERM), the build does not go on alone.
    const stop = () => child.kill('SIGTERM');
    process.once('exit', stop);
    child.on('error', () => resolve(null));
    child.on('exit', (exitCode) => {
      process.removeListener('exit', stop);
      resolve(exitCode);
    });
  });
}
