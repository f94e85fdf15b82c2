import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEV_PAGES } from '../../gateway/src/devPages';

const WEB = path.resolve(__dirname, '..', '..', 'web');

/**
 * The pages the gateway serves outside production (the console at /console, the
 * offline explorer at /explorer) come from the web package's build. `npm start`
 * builds them when they are missing, alongside starting the services, so a fresh
 * clone gets both without a separate step. Resolves to a line for the banner.
 */
export async function ensureWebPagesBuilt(): Promise<string | null> {
  const built = Object.values(DEV_PAGES).every((page) => existsSync(path.join(WEB, 'dist', page.folder, 'index.html')));
  if (built || !existsSync(path.join(WEB, 'package.json'))) return null;
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('npm', ['run', 'build:pages', '-w', 'web'], { cwd: path.dirname(WEB), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('error', () => resolve(null));
    child.on('exit', resolve);
  });
  return code === 0
    ? 'built the console and the explorer (web/dist)'
    : `could not build the console and the explorer (npm run build:pages -w web):\n${output.join('').slice(-2_000)}`;
}
