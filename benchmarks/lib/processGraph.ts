import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { subgraphNames, subgraphPortVariable, subgraphRegistration, subgraphUrlVariable } from '@car-check/service-kit';
import { bundleServices } from '../../scripts/lib/serviceBundle';
import { waitForHealthy } from '../../scripts/lib/waitForHealthy';

const ROOT = path.resolve(__dirname, '..', '..');
/** 'gateway', or a subgraph's name in supergraph.yaml. */
export type ServiceName = string;

/** The graph's services: every subgraph supergraph.yaml lists, then the gateway. */
export const serviceNames = (): ServiceName[] => [...subgraphNames(), 'gateway'];

const packageDirOf = (service: ServiceName): string =>
  service === 'gateway' ? path.join(ROOT, 'gateway') : subgraphRegistration(service).packageDir;

/** A service's entry point (its TypeScript source). */
export function entryOf(service: ServiceName): string {
  return path.join(packageDirOf(service), 'src', 'index.ts');
}

let bundles: Promise<Record<string, { file: string }>> | undefined;

/**
 * The node arguments that run a service in a benchmark: as `npm start` and the production
 * image run it, plain JavaScript (the esbuild bundle npm start makes, made here when stale),
 * without npm start's idle-memory flags. `BENCH_LAUNCH=tsx` runs the TypeScript sources under
 * tsx instead, as the records before 2026-12-06's `gateway-built` did.
 */
export async function serviceArgv(service: ServiceName): Promise<string[]> {
  if (process.env.BENCH_LAUNCH === 'tsx') return ['--import', 'tsx', entryOf(service)];
  bundles ??= bundleServices(
    serviceNames().map((name) => ({ name, entry: entryOf(name), packageDir: packageDirOf(name) })),
    ROOT,
  );
  const bundle = (await bundles)[service];
  if (!bundle) throw new Error(`no bundle for the service ${service}`);
  return [bundle.file];
}

/** The variable that sets a service's port. */
export const portVariableOf = (service: ServiceName): string =>
  service === 'gateway' ? 'GATEWAY_PORT' : subgraphPortVariable(service);

/** Where every subgraph is, for the gateway and for subgraphs calling their peers. */
export const subgraphUrlEnv = (urlOf: (service: ServiceName) => string): NodeJS.ProcessEnv =>
  Object.fromEntries(subgraphNames().map((name) => [subgraphUrlVariable(name), `${urlOf(name)}/graphql`]));

/**
 * A port free now on 127.0.0.1, for a process started next. Taken below the kernel's ephemeral
 * range: a port from there (what listening on port 0 gives) may be handed, before the process
 * binds it, to someone's outgoing connection or another port-0 listener, and a busy test run makes
 * thousands of those (a built service then exited 78, its port in use, in a CI run).
 */
export async function freePort(): Promise<number> {
  const low = ephemeralPortsFrom();
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const candidate = Math.max(1024, low - 12_000) + Math.floor(Math.random() * Math.min(12_000, low - 1024));
    if (!handedOut.has(candidate) && (await bindable(candidate))) return handOut(candidate);
  }
  for (;;) {
    const port = await listenOn(0);
    if (!handedOut.has(port)) return handOut(port);
  }
}

/**
 * Every port this process has handed out. A port is tested free and then released, so the same
 * random draw would pass again before its service binds it: a CI run's graph got one port for
 * two services ("GATEWAY_PORT and COST_CENTER_PORT: both are 21135").
 */
const handedOut = new Set<number>();

function handOut(port: number): number {
  handedOut.add(port);
  return port;
}

/** The first port of the kernel's ephemeral range (Linux's default when it cannot be read). */
function ephemeralPortsFrom(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 2048 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

async function bindable(port: number): Promise<boolean> {
  return listenOn(port).then(
    () => true,
    () => false,
  );
}

/** Listens on `port` (0: any), closes, and says which port it was. */
async function listenOn(port: number): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: bound } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return bound;
}

/**
 * The graph as production runs it, for benchmarks: a process per service on free
 * ports, embedded databases in a temporary folder (or DATABASE_URL), so the
 * benchmark client does not share an event loop with what it measures.
 */
export class ProcessGraph {
  readonly ports: Record<ServiceName, number> = {};
  private readonly children = new Map<ServiceName, ChildProcess>();
  private dataDir = '';

  constructor(private readonly env: NodeJS.ProcessEnv = {}) {}

  /** The process id of a running service (for memory figures). */
  pid(service: ServiceName): number | undefined {
    return this.children.get(service)?.pid;
  }

  url(service: ServiceName): string {
    return `http://127.0.0.1:${this.ports[service]}`;
  }

  /** Starts the subgraphs, then the gateway; `gatewayEnv` may reroute a subgraph (e.g. via a proxy). */
  async start(gatewayEnv: (graph: this) => Promise<NodeJS.ProcessEnv>): Promise<void> {
    this.dataDir = await mkdtemp(path.join(os.tmpdir(), 'car-check-bench-'));
    for (const service of serviceNames()) this.ports[service] = await freePort();
    await Promise.all(subgraphNames().map((name) => this.startService(name)));
    await this.startService('gateway', await gatewayEnv(this));
  }

  async startService(name: ServiceName, extra: NodeJS.ProcessEnv = {}): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOG_LEVEL: 'error',
      DATA_DIR: this.dataDir,
      ...subgraphUrlEnv((service) => this.url(service)),
      ...this.env,
      ...extra,
      [portVariableOf(name)]: String(this.ports[name]),
    };
    const child = spawn(process.execPath, await serviceArgv(name), { cwd: ROOT, env, stdio: 'inherit' });
    this.children.set(name, child);
    await waitForHealthy(`${this.url(name)}/health`, 90_000);
  }

  async stopService(name: ServiceName): Promise<void> {
    const child = this.children.get(name);
    this.children.delete(name);
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.children.keys()].map((name) => this.stopService(name)));
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}
