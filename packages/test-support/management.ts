import { TEST_MANAGEMENT_TOKEN } from './secrets';

/**
 * The credential that reads a service's operational details (`/ready`'s
 * dependencies and versions, `/health`'s build, `/metrics`): anonymous callers
 * get status only. Every test that reads those details goes through here.
 */
export const MANAGEMENT_HEADERS: Readonly<Record<string, string>> = {
  authorization: `Bearer ${TEST_MANAGEMENT_TOKEN}`,
};

/** GET `path` of a service with the management token. */
export function managementGet(base: string, path: string): Promise<Response> {
  return fetch(new URL(path, base), { headers: MANAGEMENT_HEADERS });
}

/**
 * A service's counter `metric` by its `outcome` label (each of `outcomes` 0 until counted), read
 * from its `/metrics` with the management token.
 */
export async function countsByOutcome(
  base: string,
  metric: string,
  outcomes: readonly string[],
): Promise<Record<string, number>> {
  const text = await (await managementGet(base, '/metrics')).text();
  const counts: Record<string, number> = Object.fromEntries(outcomes.map((outcome) => [outcome, 0]));
  for (const [, outcome, value] of text.matchAll(new RegExp(`^${metric}\\{outcome="(\\w+)"[^}]*\\} (\\d+)$`, 'gm')))
    counts[outcome!] = Number(value);
  return counts;
}
