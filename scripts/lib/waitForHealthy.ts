import { setTimeout as delay } from 'node:timers/promises';

export interface WaitForHealthyOptions {
  /** Between probes. Default 200 ms. */
  intervalMs?: number;
  /**
   * The `service` its `/health` must name. An answer from another service (two
   * services on one port, say) fails at once: it must never count as this one up.
   */
  service?: string;
  /** Stops waiting (rejects) when aborted, e.g. when the graph is being stopped. */
  signal?: AbortSignal;
}

/** The health URL answered, but as another service than the one waited for. */
export class WrongServiceError extends Error {
  override readonly name = 'WrongServiceError';
}

/**
 * Polls a health URL until it answers 200 (as `options.service`, when given), or
 * fails after `timeoutMs`. Used instead of fixed sleeps wherever one service waits for another.
 */
export async function waitForHealthy(url: string, timeoutMs: number, options: WaitForHealthyOptions | number = {}): Promise<void> {
  const { intervalMs = 200, service, signal } = typeof options === 'number' ? { intervalMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer';
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    try {
      const response = await fetch(url, { signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(intervalMs * 5)]) : AbortSignal.timeout(intervalMs * 5) });
      if (response.ok) {
        if (service === undefined) return;
        const answeredAs = await answeringService(response);
        if (answeredAs === service) return;
        throw new WrongServiceError(`${url} answered as ${answeredAs ?? 'something that names no service'}, not as ${service}: is another service on its port?`);
      }
      lastProblem = `HTTP ${response.status}`;
      // Read to the end, so that its connection does not linger.
      await response.arrayBuffer().catch(() => undefined);
    } catch (error) {
      if (error instanceof WrongServiceError) throw error;
      signal?.throwIfAborted();
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await delay(intervalMs, undefined, signal ? { signal } : undefined);
  }
  throw new Error(`${url} was not healthy within ${timeoutMs} ms (${lastProblem})`);
}

/** The `service` field of a `/health` body (`{ service, status }`), if it has one. */
async function answeringService(response: Response): Promise<string | undefined> {
  const body: unknown = await response.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null || !('service' in body)) return undefined;
  return typeof body.service === 'string' ? body.service : undefined;
}
