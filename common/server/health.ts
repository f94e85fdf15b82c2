import type { Express } from 'express';

export type DependencyState = 'up' | 'down';

/** Checks one dependency; resolves to its state (never throws). */
export type ReadinessCheck = () => Promise<Record<string, DependencyState>>;

/**
 * `/health`: the process answers. `/ready`: every dependency it needs answers
 * too. Both stay open to anyone (no identity needed), as orchestrators expect.
 */
export function mountHealth(
  app: Express,
  service: string,
  ready: ReadinessCheck,
  /** Extra facts for `/ready`, e.g. which supergraph is loaded. */
  details: () => Record<string, unknown> = () => ({}),
): void {
  app.get('/health', (_req, res) => {
    res.json({ service, status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    const dependencies = await ready();
    const ok = Object.values(dependencies).every((state) => state === 'up');
    res.status(ok ? 200 : 503).json({ service, status: ok ? 'ready' : 'not ready', dependencies, ...details() });
  });
}
