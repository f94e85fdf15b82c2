import { MAX_ATTEMPTS, RETRY_DELAYS_MS, retryDelayMs } from '../schedule';

describe('retry schedule', () => {
  it('backs off exponentially-ish over about a day, then gives up', () => {
    const total = RETRY_DELAYS_MS.reduce((sum, delay) => sum + delay, 0);
    expect(total).toBeGreaterThan(24 * 3_600_000);
    expect(total).toBeLessThan(36 * 3_600_000);
    for (let i = 1; i < RETRY_DELAYS_MS.length; i += 1) {
      expect(RETRY_DELAYS_MS[i]).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[i - 1]!);
    }
    expect(MAX_ATTEMPTS).toBe(8);
    expect(retryDelayMs(MAX_ATTEMPTS, () => 0.5)).toBeNull();
    expect(retryDelayMs(0, () => 0.5)).toBeNull();
  });

  it('jitters each delay within ±20%', () => {
    expect(retryDelayMs(1, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(1, () => 0)).toBe(4_000);
    expect(retryDelayMs(1, () => 0.999_999)).toBe(6_000);
    expect(retryDelayMs(7, () => 0)).toBe(8 * 3_600_000);
  });
});
