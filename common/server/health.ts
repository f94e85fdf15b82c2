import type { Express } from 'express';
import { buildVersion, type BuildInfo } from './buildInfo';
import { isDraining } from './http';

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

/** Ready only when every dependency is up (the subgraphs: database and migrations). */
export function requireAllUp(check: ReadinessCheck): ReadinessReport {
  return async () => {
    const dependencies = await check();
    return { ready: Object.values(dependencies).every((state) => state === 'up'), dependencies };
  };
}

/**
 * `/health`: the process answers. `/ready`: the service can serve (200) or not
 * (503), with each dependency's state in the body. Both stay open to anyone (no
 * identity needed), as orchestrators expect.
 */
export function mountHealth(
  app: Express,
  service: string,
  ready: ReadinessReport,
  /** Extra facts for `/ready`, e.g. which supergraph is loaded. */
  details: () => Record<string, unknown> = () => ({}),
  /** The build and schema this service runs, shown by `/health` (a deployment can check what it got). */
  build: () => BuildInfo = () => ({ version: buildVersion(), schemaHash: null }),
): void {
  app.get('/health', (_req, res) => {
    res.json({ service, status: 'ok', ...build() });
  });
  app.get('/ready', async (_req, res) => {
    const { ready: ok, dependencies } = await ready();
    // Shutting down (SIGTERM): traffic should go elsewhere, whatever the dependencies say.
    if (isDraining(app)) return void res.status(503).json({ service, status: 'not ready', draining: true, dependencies, ...details() });
    res.status(ok ? 200 : 503).json({ service, status: ok ? 'ready' : 'not ready', dependencies, ...details() });
  });
}
