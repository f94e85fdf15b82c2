/**
 * `npm start`: runs the whole graph (every subgraph of supergraph.yaml, then the
 * gateway) as two processes under a supervisor, and prints where to reach it: the
 * subgraphs side by side in one process, the subgraph host (scripts/lib/subgraphHost.ts:
 * ~350 MB where five processes took ~850), and the gateway. Each runs as built JavaScript
 * (a bundle made here when its sources changed, in a few seconds: scripts/lib/serviceBundle.ts)
 * with node's idle-memory settings (scripts/lib/serviceLaunch.ts).
 *
 * Before anything starts, a short-lived child (start-plan.ts, lib/startPlan.ts) checks every
 * service's configuration, port and database server and hands back what this supervisor needs
 * to know, so that it never loads the services' code or configuration and stays small for as
 * long as the graph runs.
 *
 * `npm run dev` (`--watch`) is the same graph for people changing it: each service
 * runs its sources under tsx in a process of its own and restarts when its code changes
 * (node --watch), and a changed SDL restarts its subgraph and recomposes supergraph.graphql
 * (scripts/lib/devWatch.ts).
 *
 * A service that exits on its own is restarted (250 ms, doubling to 5 s) while
 * the others keep serving; after 5 crashes within a minute it is given up on,
 * alone (the whole graph stops if that happens before it was up, or to the
 * gateway). A service that exits with a code no restart fixes (78: its
 * configuration; 65: its migration history, see packages/service-kit/src/server/exitCodes.ts) stops
 * the whole graph at once, with that code. Ctrl-C / SIGTERM drains in order: the
 * gateway first (it finishes the requests in flight, which still need the
 * subgraphs), then the subgraphs; so does the death of npm. The scripts `exec` this
 * script, so that npm's child is this process and the SIGINT or SIGTERM npm passes on
 * (a process manager signals npm's pid alone) reaches it: with a shell between them,
 * the shell kept it. Each service in turn stops itself should this supervisor die
 * (SUPERVISOR_PID).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  formatDuration,
  HOPELESS_EXIT_CODES,
  subgraphUrlVariable,
  SUPERVISOR_PID_VARIABLE,
  watchProcesses,
} from '@car-check/service-kit';
import { renderBanner } from './lib/banner';
import { Supervisor } from './lib/supervisor';
import { launcherPids } from './lib/launchers';
import { commandStartedAt } from './lib/progress';
import { readStartPlan, StartPlanFailed, type StartPlan } from './lib/startPlan';
import { buildWebPages, webPagesMissing } from './lib/webPages';
import { bundleServices } from './lib/serviceBundle';
import { serviceArgs, serviceEnv } from './lib/serviceLaunch';
import { SUBGRAPH_HOST, subgraphHostBundle } from './lib/subgraphHost';
import { waitForHealthy } from './lib/waitForHealthy';

const ROOT = path.resolve(__dirname, '..');
const GATEWAY = {
  name: 'gateway',
  packageDir: path.join(ROOT, 'gateway'),
  entry: path.join(ROOT, 'gateway', 'src', 'index.ts'),
};
// From the start of `npm start` itself (npm's and tsx's start-up included): what a person waits, in the banner.
const STARTED_AT = commandStartedAt();
const { values: options } = parseArgs({ options: { watch: { type: 'boolean', default: false } } });
/**
 * Only a hang ends a start by time: a service that cannot start exits on its own (and an
 * error no restart fixes stops the graph at once), while a first start on a slow or busy
 * machine (initdb, migrations, seeding, each printed as it happens) may take minutes.
 */
const STARTUP_TIMEOUT_MS = 300_000;
/** Beyond SHUTDOWN_GRACE_MS, time for a service to stop Apollo and close its database. */
const STOP_MARGIN_MS = 5_000;

// Readable logs by default when a person runs the graph; LOG_PRETTY=false for JSON.
const env: NodeJS.ProcessEnv = { ...process.env, LOG_PRETTY: process.env.LOG_PRETTY ?? 'true' };

/** Milliseconds since npm start. */
const sinceStart = () => performance.now() - STARTED_AT;
/** When each service was started and when it first answered /health, since npm start. */
const startedAfter = new Map<string, number>();
const readyAfter = new Map<string, number>();

/** Aborted when the graph stops while it is starting: nothing waits for a service any more. */
const starting = new AbortController();
/** Set once the banner is printed. */
let graphUp = false;

/** Waits for a service's /health, answered by that service, and says when: a line of progress per service. */
async function waitUntilReady(name: string, healthUrl: string): Promise<void> {
  await waitForHealthy(healthUrl, STARTUP_TIMEOUT_MS, { service: name, signal: starting.signal });
  readyAfter.set(name, sinceStart());
  const took = readyAfter.get(name)! - (startedAfter.get(name) ?? 0);
  console.error(
    `supervisor: ${name} is ready, ${formatDuration(took)} after it was started (${formatDuration(sinceStart())} after npm start)`,
  );
}

/** Each service's time from its start to its first answer, for the banner. */
function startupSummary(names: string[]): string {
  const took = (name: string) =>
    `${name} ${formatDuration((readyAfter.get(name) ?? NaN) - (startedAfter.get(name) ?? 0))}`;
  return `npm and the supervisor ${formatDuration(startedAfter.get(names[0]!) ?? 0)}; the subgraphs, in parallel: ${names.map(took).join(', ')}; then ${took('gateway')}`;
}

const baseUrl = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

/** The processes the supervisor runs the subgraphs in: the subgraph host, or under `npm run dev` one each. */
const subgraphProcesses = (plan: StartPlan) => (options.watch ? plan.subgraphs.map((s) => s.name) : [SUBGRAPH_HOST]);
/** `npm start` runs the bundles made at its start (see bundle below); `npm run dev` the sources under tsx. */
const bundles: Record<string, string> = {};

/** The supervisor, once the plan is known; until then a stop only exits. */
let supervisor: Supervisor | undefined;

/** The services of the plan, and the supervisor that runs them. */
function superviseGraph(plan: StartPlan): Supervisor {
  const { subgraphs } = plan;
  /** `npm run dev`: each service's sources under tsx, in a process of its own. */
  const entries: Record<string, string> = Object.fromEntries(
    [GATEWAY, ...subgraphs].map(({ name, entry }) => [name, entry]),
  );
  // The gateway and the subgraphs (which call each other) all learn where each subgraph listens.
  const graphEnv: NodeJS.ProcessEnv = { ...env, [SUPERVISOR_PID_VARIABLE]: String(process.pid) };
  for (const subgraph of subgraphs) {
    graphEnv[subgraphUrlVariable(subgraph.name)] ??= `${baseUrl(subgraph.host, subgraph.port)}/graphql`;
  }

  return new Supervisor({
    spawn: (name) => {
      const child = spawn(
        process.execPath,
        options.watch ? ['--import', 'tsx', '--watch', entries[name]!] : serviceArgs(bundles[name]!),
        {
          cwd: ROOT,
          env: options.watch ? graphEnv : serviceEnv(graphEnv),
          stdio: 'inherit',
          // Its own process group: Ctrl-C in a terminal reaches only this supervisor,
          // which then stops the services in order (gateway first).
          detached: true,
        },
      );
      child.on('error', (error) => console.error(`supervisor: ${name}: ${error.message}`));
      return child;
    },
    log: (line) => console.error(line),
    stopGraceMs: Math.max(plan.gateway.shutdownGraceMs, ...subgraphs.map((s) => s.shutdownGraceMs)) + STOP_MARGIN_MS,
    stopOrder: [['gateway'], subgraphProcesses(plan)],
    onAllGivenUp: () => {
      console.error('supervisor: every service has been given up on; exiting.');
      void stopAll(1);
    },
    hopelessExitCodes: HOPELESS_EXIT_CODES,
    onHopeless: (name, code) => {
      console.error(`supervisor: ${name} cannot run until its error above is fixed; stopping the graph (exit ${code})`);
      void stopAll(code);
    },
    onGivenUp: (name) => {
      // Before the banner the graph never answered (the gateway waits for every subgraph);
      // without the gateway, or the host of every subgraph, nothing answers. A half graph helps nobody.
      if (!graphUp || name === 'gateway' || name === SUBGRAPH_HOST) {
        const why = !graphUp
          ? 'the graph never came up'
          : name === 'gateway'
            ? 'the gateway is gone'
            : 'the subgraphs are gone';
        console.error(`supervisor: ${why}; stopping the graph`);
        void stopAll(1);
      } else {
        console.error(`supervisor: the other services keep running; restart the graph to try ${name} again.`);
      }
    },
  });
}

function stopAll(code: number): Promise<void> {
  // Stopped while the plan is being made: nothing runs yet.
  if (!supervisor) process.exit(code);
  // Once is enough: a repeated signal (tsx and npm relay Ctrl-C too) does not cut the drain short.
  if (supervisor.isStopping) return supervisor.stop();
  starting.abort();
  console.error('supervisor: stopping the graph (gateway first, then the subgraphs)');
  return supervisor.stop().then(() => process.exit(code));
}

// Should this process end any other way, the services (in their own process groups) must not outlive it.
process.on('exit', () => {
  if (supervisor && !supervisor.isStopping) supervisor.killAll();
});

/**
 * Bundles what changed since the last start (the first start: both, in a few seconds): the
 * gateway, and the subgraph host with every subgraph of the plan (lib/subgraphHost.ts).
 */
async function bundle(plan: StartPlan): Promise<void> {
  const startedAt = performance.now();
  const host = subgraphHostBundle(
    plan.subgraphs.map((s) => s.definitionFile),
    ROOT,
  );
  const built = await bundleServices([GATEWAY, host], ROOT);
  for (const [name, { file }] of Object.entries(built)) bundles[name] = file;
  const rebuilt = Object.entries(built).filter(([, b]) => b.built);
  if (rebuilt.length > 0)
    console.error(
      `supervisor: bundled ${rebuilt.map(([name]) => name).join(', ')} in ${formatDuration(performance.now() - startedAt)}`,
    );
}

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));
  // A SIGKILL of npm (or of a launcher between npm and this script) reaches nobody: watch them.
  watchProcesses(launcherPids(), (pid) => {
    console.error(`supervisor: the process that started it (pid ${pid}) is gone`);
    void stopAll(0);
  });

  // Every service's configuration, its port and its database server, checked before anything
  // starts, in a process that then exits (lib/startPlan.ts); a mistake is its one line.
  let plan: StartPlan;
  try {
    plan = await readStartPlan(ROOT, env);
  } catch (error) {
    if (error instanceof StartPlanFailed) process.exit(error.exitCode);
    throw error;
  }
  const { subgraphs, gateway } = plan;
  const running = (supervisor = superviseGraph(plan));
  if (!options.watch) await bundle(plan);
  for (const subgraph of subgraphs) startedAfter.set(subgraph.name, sinceStart());
  for (const name of subgraphProcesses(plan)) running.start(name);
  await Promise.all(subgraphs.map((s) => waitUntilReady(s.name, `${baseUrl(s.host, s.port)}/health`)));
  if (running.isStopping) return;
  startedAfter.set('gateway', sinceStart());
  running.start('gateway');
  const gatewayBase = baseUrl(gateway.host, gateway.port);
  await waitUntilReady('gateway', `${gatewayBase}/health`);
  if (running.isStopping) return;
  graphUp = true;
  const upAfter = sinceStart();
  // The web pages are built once the graph answers (see webPages.ts), not alongside starting it,
  // and only where the gateway serves them.
  const pagesServed = gateway.devPages;
  const buildingPages = pagesServed && webPagesMissing();
  if (options.watch) {
    // Loaded only here: `npm start` never needs composition, and holds nothing of it.
    const { watchSubgraphSdl } = await import('./lib/devWatch');
    const { SHARED_SDL_FILE, writeSubgraphSdl } = await import('./lib/subgraphSdl');
    const { subgraphRegistration } = await import('@car-check/service-kit');
    watchSubgraphSdl({
      // The team's SDL and the shared types are what people edit; the full SDL is regenerated from them.
      schemaFiles: Object.fromEntries(subgraphs.map((s) => [s.name, s.schemaSourceFile])),
      sharedFiles: [SHARED_SDL_FILE],
      generate: (name) => writeSubgraphSdl(subgraphRegistration(name), ROOT),
      supergraphPath: gateway.supergraphPath,
      restart: (name) => running.restart(name),
      log: (line) => console.error(line),
    });
  }

  console.log(
    renderBanner({
      facts: {
        production: gateway.production,
        sandbox: gateway.landingPage,
        devPages: pagesServed,
        demoUsers: subgraphs.some((s) => s.demoUsers),
      },
      gatewayBase,
      upAfter: formatDuration(upAfter),
      timeToReady: startupSummary(subgraphs.map((s) => s.name)),
      subgraphs: subgraphs.map((s) => ({ name: s.name, url: `${baseUrl(s.host, s.port)}/graphql` })),
      buildingPages,
      watching: options.watch === true,
      seedPasswordSet: Boolean(env.SEED_PASSWORD?.trim()),
    }),
  );
  if (buildingPages) {
    console.error('web: building the console and the explorer (first start only) ...');
    const outcome = await buildWebPages();
    // Stopped meanwhile (Ctrl-C reaches the build too): not a failure worth a page of output.
    if (!running.isStopping) console.error(`web: ${outcome}`);
  }
}

main().catch((error: unknown) => {
  if (supervisor?.isStopping) return;
  console.error(`Could not start the graph: ${error instanceof Error ? error.message : String(error)}`);
  void stopAll(1);
});
