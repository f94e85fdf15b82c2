import { backOff } from 'exponential-backoff';

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

/** The health URL answered, but not with 200 yet. */
class NotHealthyYet extends Error {}

/**
 * Polls a health URL until it answers 200 (as `options.service`, when given), or
 * fails after `timeoutMs`. Used instead of fixed sleeps wherever one service waits for another.
 * The polling is exponential-backoff's, at a constant interval (`timeMultiple: 1`).
 */
export async function waitForHealthy(
  url: string,
  timeoutMs: number,
  options: WaitForHealthyOptions | number = {},
): Promise<void> {
  const { intervalMs = 200, service, signal } = typeof options === 'number' ? { intervalMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  signal?.throwIfAborted();
  const polling = backOff(() => probe(url, { intervalMs, service, signal }), {
    startingDelay: intervalMs,
    timeMultiple: 1,
    jitter: 'none',
    numOfAttempts: Number.POSITIVE_INFINITY,
    // Another probe only when it can start before the deadline; never for another service, nor once aborted.
    retry: (error: unknown) =>
      !(error instanceof WrongServiceError) && !signal?.aborted && Date.now() + intervalMs < deadline,
  });
  const stop = signal ? whenAborted(signal) : undefined;
  try {
    await (stop ? Promise.race([polling, stop.rejected]) : polling);
  } catch (error) {
    signal?.throwIfAborted();
    if (error instanceof WrongServiceError) throw error;
    const lastProblem = error instanceof Error ? error.message : String(error);
    throw new Error(`${url} was not healthy within ${timeoutMs} ms (${lastProblem})`);
  } finally {
    stop?.dispose();
  }
}

type ProbeOptions = WaitForHealthyOptions & { intervalMs: number };

/** One probe of the health URL: resolves when it answers 200 as `service`, throws otherwise. */
async function probe(url: string, options: ProbeOptions): Promise<void> {
  const { intervalMs, service, signal } = options;
  // A stop between probes ends the wait before another request (the library's timer runs out without one).
  signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(intervalMs * 5);
  const response = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  if (!response.ok) {
    // Read to the end, so that its connection does not linger.
    await response.arrayBuffer().catch(() => undefined);
    throw new NotHealthyYet(`HTTP ${response.status}`);
  }
  if (service === undefined) return;
  const answeredAs = await answeringService(response);
  if (answeredAs === service) return;
  const named = answeredAs ?? 'something that names no service';
  throw new WrongServiceError(`${url} answered as ${named}, not as ${service}: is another service on its port?`);
}

/** A promise that rejects (with the signal's reason) once the signal is aborted, until disposed. */
function whenAborted(signal: AbortSignal): { rejected: Promise<never>; dispose: () => void } {
  let onAbort = () => {};
  const rejected = new Promise<never>((_resolve, reject) => {
    // The signal's own reason (an Error whenever AbortController.abort() is given none).
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return { rejected, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/** The `service` field of a `/health` body (`{ service, status }`), if it has one. */
async function answeringService(response: Response): Promise<string | undefined> {
  const body: unknown = await response.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null || !('service' in body)) return undefined;
  return typeof body.service === 'string' ? body.service : undefined;
}
