/**
 * Smoke check of what a person gets from a fresh `npm start`: no build variables, a data
 * folder and a web build of its own (DATA_DIR, WEB_DIST: temporary), every service on a
 * free port. Once npm start has built the pages, Chromium loads the console at /console/
 * and the explorer at /explorer/ from the gateway; neither may raise a page error or log
 * a console error. While the graph runs, the db commands are refused its embedded
 * databases (each held by its subgraph), with one line naming the folder and the holder.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { prepareEmbeddedTemplate } from '@car-check/subgraph-kit';
import { freeGraphPorts } from '@car-check/test-support/graphPorts';
import { waitForHealthy } from '../../scripts/lib/waitForHealthy';
import { waitFor } from '@car-check/test-support/waitFor';
import { REPO_ROOT, startBrowser, type BrowserSession } from './harness';

const MINUTE = 60_000;
// A loaded 2-core machine: a first start (three databases created, migrated, seeded), a web build, a browser.
jest.setTimeout(5 * MINUTE);
const WAIT = 45_000;

describe('a fresh npm start serves a working console and explorer', () => {
  let ports: Record<string, number>;
  let portsEnv: Record<string, string>;
  let tempDir: string;
  let env: NodeJS.ProcessEnv;
  let supervisor: ChildProcess;
  let exited: Promise<number | null>;
  let output = '';
  let origin: string;
  let session: BrowserSession;

  const tail = () => output.split('\n').slice(-40).join('\n');
  const waitForOutput = (pattern: RegExp, timeoutMs: number) =>
    waitFor(() => pattern.test(output), timeoutMs, `${pattern} in the output of npm start`).catch((error: Error) => {
      throw new Error(`${error.message}; npm start's last lines:\n${tail()}`);
    });

  beforeAll(async () => {
    session = await startBrowser();
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'car-check-npm-start-'));
    ({ ports, env: portsEnv } = await freeGraphPorts());
    origin = `http://127.0.0.1:${ports.gateway}`;
    // A developer's shell, minus anything that points the graph or the build elsewhere.
    env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) =>
          !/(^VITE_|_SUBGRAPH_URL|DATABASE_URL|^JWKS_URL|^TOKEN_STATUS_URL|^SUPERGRAPH_|^WEB_DIST$)/.test(name),
      ),
    );
    Object.assign(env, {
      NODE_ENV: 'development',
      ...portsEnv,
      DATA_DIR: path.join(tempDir, 'data'),
      // A build of its own (npm start builds the pages where the gateway serves them from when they are missing).
      WEB_DIST: path.join(tempDir, 'web-dist'),
      LOG_PRETTY: 'false',
    });
    // The databases' initdb template made beforehand, as a machine that ran npm start once has it:
    // on a loaded 2-core machine initdb alone can take a minute, and npm start gives each service
    // 90 s to answer. The databases themselves are still created (copies), migrated and seeded.
    await prepareEmbeddedTemplate(env.DATA_DIR!);
    supervisor = spawn('npm', ['start'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    supervisor.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    supervisor.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => supervisor.once('exit', (code) => resolve(code)));

    await waitForOutput(/The car-check graph is up/, 4 * MINUTE);
    await waitForOutput(/^web: (built|could not build)/m, 4 * MINUTE);
    expect(output).toMatch(/^web: built the console and the explorer/m);
    await waitForHealthy(`${origin}/health`, MINUTE);
  }, 10 * MINUTE);

  afterAll(async () => {
    await session?.close();
    if (supervisor?.pid && supervisor.exitCode === null && supervisor.signalCode === null) {
      // npm, the supervisor and its services: SIGTERM drains them; whatever is left after that is killed.
      process.kill(-supervisor.pid, 'SIGTERM');
      const stopped = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), MINUTE).unref()),
      ]);
      if (!stopped) process.kill(-supervisor.pid, 'SIGKILL');
    }
    for (const match of output.matchAll(/^supervisor: started \S+ \(pid (\d+)\)$/gm)) {
      try {
        process.kill(Number(match[1]), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }, 2 * MINUTE);

  async function open(url: string): Promise<Page> {
    const page = await session.newPage();
    await page.goto(url);
    return page;
  }

  it('renders the console at /console/, signs in and lists the fleet through the same origin’s /graphql', async () => {
    const page = await open(`${origin}/console/`);
    await page
      .getByLabel('Username')
      .waitFor({ timeout: WAIT })
      .catch(async (error: unknown) => {
        throw new Error(
          `${String(error)}\nPage errors: ${JSON.stringify(session.pageErrors)}\nThe page shows:\n${await page.locator('body').innerText()}`,
        );
      });
    await page.getByLabel('Username').fill('admin');
    // npm start's demo password (SEED_PASSWORD's default, as its banner says).
    await page.getByLabel('Password').fill('dev-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('username').getByText('admin', { exact: true }).waitFor({ timeout: WAIT });
    await page.getByTestId('car-row').first().waitFor({ timeout: WAIT });
    await page.getByText(`Gateway ${origin}/graphql`).waitFor({ timeout: WAIT });
    await expect(page.getByRole('link', { name: 'API explorer' }).getAttribute('href')).resolves.toBe(
      `${origin}/explorer/`,
    );
    // Every page's head (web/vite.pageHead.ts): no Referer leaves with its requests or links.
    await expect(page.locator('meta[name=referrer]').getAttribute('content')).resolves.toBe('no-referrer');
  });

  it('renders the explorer at /explorer/', async () => {
    const page = await open(`${origin}/explorer/`);
    await page.locator('.graphiql-container').waitFor({ timeout: WAIT });
    await page.locator('.graphiql-execute-button').waitFor({ timeout: WAIT });
    await expect(page.locator('meta[name=referrer]').getAttribute('content')).resolves.toBe('no-referrer');
  });

  it('refuses db:status on the running graph’s embedded databases, naming the folder and the holder', () => {
    const status = spawnSync('npm', ['run', '--silent', 'db:status', '--', '--subgraph', 'car'], {
      cwd: REPO_ROOT,
      env,
      encoding: 'utf8',
      timeout: 2 * MINUTE,
    });
    const folder = path.join(env.DATA_DIR!, 'car');
    expect({ code: status.status, stdout: status.stdout }).toEqual({ code: 2, stdout: '' });
    const lines = status.stderr.trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^db:status failed: /)]);
    expect(lines[0]).toContain(folder);
    expect(lines[0]).toMatch(/in use by process \d+/);
  });

  it('raised no page error, logged no console error and needed nothing beyond this machine', () => {
    expect(session.pageErrors).toEqual([]);
    expect(session.blocked).toEqual([]);
  });
});
