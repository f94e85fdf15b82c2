import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** What the browser tests need around the web app: a build, a static server, a switchable link, Chromium without internet. */

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const WEB_DIR = path.join(REPO_ROOT, 'web');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** `vite build` of the web app (or, with `config`, another entry) into `outDir`, with the given Vite env. */
export async function viteBuild(outDir: string, env: Record<string, string>, config = 'vite.config.ts'): Promise<void> {
  const vite = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  const child = spawn(process.execPath, [vite, 'build', '--config', config, '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: WEB_DIR,
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`vite build (${config}) exited with ${code}:\n${output}`);
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export interface StaticServer {
  origin: string;
  /** Where `/graphql` on this origin is forwarded (the explorer queries its own origin, as when the gateway serves it). */
  graphqlTarget: string | null;
  close(): Promise<void>;
}

/**
 * A tiny static server (node:http): `mounts` maps a path prefix ('/', '/explorer/')
 * to a folder, longest prefix first; `/graphql` is proxied to `graphqlTarget`.
 */
export async function startStaticServer(mounts: Record<string, string>): Promise<StaticServer> {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const state: StaticServer = { origin: '', graphqlTarget: null, close: async () => undefined };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://static');
    if (url.pathname === '/graphql') return proxy(req, res, url);
    const prefix = prefixes.find((candidate) => url.pathname.startsWith(candidate));
    if (!prefix) return void res.writeHead(404).end();
    const root = path.resolve(mounts[prefix]!);
    let file = path.resolve(root, `.${decodeURIComponent(url.pathname.slice(prefix.length - 1))}`);
    if (file !== root && !file.startsWith(`${root}${path.sep}`)) return void res.writeHead(403).end();
    try {
      if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
      await stat(file);
    } catch {
      return void res.writeHead(404).end();
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });

  function proxy(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    if (!state.graphqlTarget) return void res.writeHead(502).end();
    const target = new URL(state.graphqlTarget);
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${url.search}`, method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.headersSent || res.writeHead(502).end());
    req.pipe(upstream);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

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
    if ((url.protocol === 'http:' || url.protocol === 'https:') && LOCAL_HOSTS.has(url.hostname)) return route.continue();
    if (url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    blocked.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  return context;
}
