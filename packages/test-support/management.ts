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
