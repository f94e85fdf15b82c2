import os from 'node:os';

/** The distribution of a run's samples (nearest-rank quantiles; NaN when there are none). */
export interface Quantiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function quantiles(samples: number[]): Quantiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

/** The arithmetic mean (0 when there are no samples). */
export const mean = (samples: number[]): number =>
  samples.reduce((sum, value) => sum + value, 0) / Math.max(1, samples.length);

/** The machine's load average (1, 5, 15 min), to two decimals: printed and recorded next to the figures. */
export const loadAverage = (): number[] => os.loadavg().map((value) => Number(value.toFixed(2)));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
