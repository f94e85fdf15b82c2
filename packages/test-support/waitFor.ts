import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `check` until it holds, failing after `timeoutMs` (never a fixed sleep). `intervalMs`: the
 * pause between checks; longer for a check that costs much (e.g. queries through the gateway).
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what = 'condition',
  intervalMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await delay(intervalMs);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}
