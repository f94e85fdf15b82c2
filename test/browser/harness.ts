import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { testConfig } from '@car-check/test-support/config';

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
