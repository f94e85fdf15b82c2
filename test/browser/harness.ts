import { existsSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { testConfig } from '@car-check/test-support/config';
import { startGraph, type StartGraphOptions, type TestGraph } from '@car-check/test-support/graph';
import { waitFor } from '@car-check/test-support/waitFor';
import { builtWebPages } from '@car-check/test-support/webBuild';

/**
 * What the browser tests need around the web app: a switchable link, Chromium without internet.
 * (The pages themselves are built and served as npm start does: scripts/lib/webPages.ts, the gateway.)
 */

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const WEB_DIR = path.join(REPO_ROOT, 'web');
export const CHROMIUM = testConfig.TEST_CHROMIUM_PATH;

/**
 * A TCP link the gateway reaches a subgraph through, which can be cut and
 * restored at the same address: while it is down, connections are refused
 * exactly as if the subgraph's process were gone.
 */
export class SwitchableLink {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private port = 0;
  private target?: URL;

  /** Starts forwarding to `targetUrl`'s host and port; returns the same URL on the link's own port. */
  async start(targetUrl: string): Promise<string> {
    this.target = new URL(targetUrl);
    await this.up();
    const url = new URL(targetUrl);
    url.port = String(this.port);
    return url.toString();
  }

  async up(): Promise<void> {
    const target = this.target!;
    this.server = net.createServer((socket) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      for (const end of [socket, upstream]) {
        this.sockets.add(end);
        end.on('close', () => this.sockets.delete(end));
        end.on('error', () => {
          socket.destroy();
          upstream.destroy();
        });
      }
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-gpu',
      // Belt and braces: any name but the loopback ones fails to resolve.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
    ],
  });
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A browser context that can reach only this machine: every request to another
 * host is aborted and recorded in `blocked` (a test asserts it stays empty).
 */
export async function offlineContext(browser: Browser, blocked: string[]): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, serviceWorkers: 'block' });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if ((url.protocol === 'http:' || url.protocol === 'https:') && LOCAL_HOSTS.has(url.hostname))
      return route.continue();
    if (url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    blocked.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  return context;
}

/**
 * Chromium as every browser suite drives it: pages that can reach only this machine, and what they did
 * that they should not have, which each suite's last test asserts stayed empty.
 */
export interface BrowserSession {
  browser: Browser;
  /** Requests the pages tried to send off this machine. */
  blocked: string[];
  /** Every page error, and every console error but those the suite expects. */
  pageErrors: string[];
  /** A page in a context of its own (offlineContext), its errors recorded in pageErrors. */
  newPage(): Promise<Page>;
  /** Closes the pages opened so far (their contexts). */
  closePages(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Launches Chromium (waiting a moment for it: it may still be being installed when the tests start).
 * `expectedConsoleError` tells a console error the suite provokes on purpose, which is not recorded.
 */
export async function startBrowser(
  expectedConsoleError: (message: ConsoleMessage) => boolean = () => false,
): Promise<BrowserSession> {
  await waitFor(
    () => existsSync(CHROMIUM),
    120_000,
    `Chromium at ${CHROMIUM} (apt-get install chromium, or set TEST_CHROMIUM_PATH)`,
  );
  const browser = await launchChromium();
  const blocked: string[] = [];
  const pageErrors: string[] = [];
  const contexts: BrowserContext[] = [];
  const closePages = async () => {
    for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
  };
  return {
    browser,
    blocked,
    pageErrors,
    async newPage() {
      const context = await offlineContext(browser, blocked);
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() !== 'error' || expectedConsoleError(message)) return;
        pageErrors.push(`${page.url()}: console error: ${message.text()} (${message.location().url})`);
      });
      return page;
    },
    closePages,
    async close() {
      await closePages();
      await browser.close();
    },
  };
}

/**
 * The seeded graph on PGlite (the console as a user first meets it, on npm start's embedded databases)
 * with its gateway serving the pages as under npm start (WEB_DIST: builtWebPages; development, as
 * NODE_ENV is not production) at /console/ and /explorer/.
 */
export async function startGraphWithPages(options: StartGraphOptions = {}): Promise<TestGraph> {
  const webDist = await builtWebPages();
  return startGraph('pglite', { seed: true, ...options, gatewayEnv: { WEB_DIST: webDist, ...options.gatewayEnv } });
}
