import type { Express } from 'express';
import { buildVersion, type BuildInfo } from './buildInfo';
import { isDraining } from './http';
import type { ManagementAccess } from './management';

export type DependencyState = 'up' | 'down';

/** Checks a service's dependencies; resolves to each one's state (never throws). */
export type ReadinessCheck = () => Promise<Record<string, DependencyState>>;

/** What `/ready` answers: whether to send traffic here (200 or 503), and each dependency's state. */
export interface Readiness {
  ready: boolean;
  dependencies: Record<string, DependencyState>;
}

/** Decides readiness; resolves (never throws). */
export type ReadinessReport = () => Promise<Readiness>;

/** How often readiness is checked in the background; `/ready` serves the last result. */
export const READINESS_POLL_MS = 1_000;

/** Ready only when every dependency is up (the subgraphs: database and migrations). */
export function requireAllUp(check: ReadinessCheck): ReadinessReport {
  return async () => {
    const dependencies = await check();
    return { ready: Object.values(dependencies).every((state) => state === 'up'), dependencies };
  };
}

/**
 * Runs `report` in the background, one check at a time, every `intervalMs`,
 * so that `/ready` costs nothing however often it is called (a check may fan
 * out to every subgraph, or query the database). Until the first check is in,
 * callers wait for it.
 */
export function pollReadiness(
  report: ReadinessReport,
  intervalMs = READINESS_POLL_MS,
): { current(): Promise<Readiness>; stop(): void } {
  let last: Promise<Readiness> = report();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      const checking = report();
      // The previous answer is served until this one is in.
      void checking.then((readiness) => {
        last = Promise.resolve(readiness);
        next();
      });
    }, intervalMs);
    // Never what keeps a process alive.
    timer.unref();
  };
  void last.then(next);
  return {
    current: () => last,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * `/health`: the process answers. `/ready`: the service can serve (200) or not
 * (503). Both stay open to anyone (orchestrators and the supervisor probe
 * them without identity), and answer anyone with status only,
 * `{ service, status }`: the dependencies, versions and schema hash, and
 * whatever `details` adds, go only to a caller with the management token
 * (see management.ts). Readiness is checked in the background (see
 * pollReadiness); call the returned function to stop that when the service stops.
 */
export function mountHealth(
  app: Express,
  service: string,
  ready: ReadinessReport,
  /** Extra facts for `/ready`, e.g. which supergraph is loaded. */
  details: () => Record<string, unknown> = () => ({}),
  /** The build and schema this service runs, shown by `/health` (a deployment can check what it got). */
  build: () => BuildInfo = () => ({ version: buildVersion(), schemaHash: null }),
  management?: ManagementAccess,
): () => void {
  const readiness = pollReadiness(ready);
  const privileged = (headers: Parameters<ManagementAccess['allows']>[0]) => management?.allows(headers) ?? false;
  app.get('/health', (req, res) => {
    res.json({ service, status: 'ok', ...(privileged(req.headers) ? build() : {}) });
  });
  app.get('/ready', async (req, res) => {
    const { ready: up, dependencies } = await readiness.current();
    // Shutting down (SIGTERM): traffic should go elsewhere, whatever the dependencies say.
    const draining = isDraining(app);
    const ok = up && !draining;
    const status = { service, status: ok ? 'ready' : 'not ready' };
    if (!privileged(req.headers)) return void res.status(ok ? 200 : 503).json(status);
    res.status(ok ? 200 : 503).json({ ...status, ...(draining ? { draining: true } : {}), dependencies, ...details() });
  });
  return () => readiness.stop();
}

/**
 * Adds dependencies the service degrades without rather than fails (Redis,
 * whose state falls back to the instance's own): reported in `/ready`'s
 * body, never making the service unready.
 */
export function withDegradable(
  report: ReadinessReport,
  degradable: () => Record<string, DependencyState>,
): ReadinessReport {
  return async () => {
    const { ready, dependencies } = await report();
    return { ready, dependencies: { ...dependencies, ...degradable() } };
  };
}
