import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls a health URL until it answers 200, or fails after `timeoutMs`.
 * Used instead of fixed sleeps wherever one service waits for another.
 */
export async function waitForHealthy(url: string, timeoutMs: number, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(intervalMs * 5) });
      if (response.ok) return;
      lastProblem = `HTTP ${response.status}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await delay(intervalMs);
  }
  throw new Error(`${url} was not healthy within ${timeoutMs} ms (${lastProblem})`);
}
