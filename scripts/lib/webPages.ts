import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { formatDuration } from '@car-check/common';
import { DEV_PAGES } from '../../gateway/src/devPages';

const WEB = path.resolve(__dirname, '..', '..', 'web');

/**
 * The pages the gateway serves outside production (the console at /console, the
 * offline explorer at /explorer) come from the web package's build. `npm start`
 * builds them when they are missing, so a fresh clone gets both without a
 * separate step: once the graph answers, not alongside starting it (on 2 cores
 * the build's ~8 CPU-seconds would delay the graph's first answer by about as
 * much). The gateway serves web/dist as it is on each request, so the pages
 * appear when the build is done; until then their paths say they are not built yet.
 */
export function webPagesMissing(): boolean {
  const built = Object.values(DEV_PAGES).every((page) => existsSync(path.join(WEB, 'dist', page.folder, 'index.html')));
  return !built && existsSync(path.join(WEB, 'package.json'));
}

/** Builds the pages; resolves to a line saying how it went and how long it took. */
export async function buildWebPages(): Promise<string> {
  const startedAt = performance.now();
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('npm', ['run', 'build:pages', '-w', 'web'], { cwd: path.dirname(WEB), stdio: ['ignore', 'pipe', 'pipe'] });
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
  const took = formatDuration(performance.now() - startedAt);
  return code === 0
    ? `built the console and the explorer (web/dist) in ${took}`
    : `could not build the console and the explorer (npm run build:pages -w web), after ${took}:\n${output.join('').slice(-2_000)}`;
}
