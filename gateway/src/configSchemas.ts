import { z } from 'zod';

/** A duration in ms, 1 ms to 10 minutes. */
export const timeout = () => z.coerce.number().int().min(1).max(600_000);

/** A positive count, with its default. */
export const limit = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
