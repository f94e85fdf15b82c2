import { setTimeout as delay } from 'node:timers/promises';

/** Polls `check` until it holds, failing after `timeoutMs` (never a fixed sleep). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await delay(25);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}
