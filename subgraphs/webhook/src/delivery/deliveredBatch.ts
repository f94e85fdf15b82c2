import type { PrismaClient } from '../prisma';

/** A successful attempt waiting to be written. */
interface Delivered {
  id: string;
  code: number;
  body: string;
  latency: number;
  done: () => void;
  failed: (error: unknown) => void;
}

/** Writes gathered for at most this long, or this many, whichever comes first. */
const MAX_WAIT_MS = 10;
const MAX_BATCH = 200;

/**
 * Records successful attempts in batches: one UPDATE for every delivery that succeeded in the
 * last few milliseconds, instead of one each (at hundreds of deliveries a second, the
 * statements were the dispatcher's main cost). A delivery's sender waits for its batch to be
 * written before it frees its slot, so the next event of the same entity is never sent before
 * this one is marked delivered.
 */
export class DeliveredBatch {
  private pending: Delivered[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly instanceId: string,
    private readonly now: () => Date,
  ) {}

  add(delivery: Omit<Delivered, 'done' | 'failed'>): Promise<void> {
    return new Promise((done, failed) => {
      this.pending.push({ ...delivery, done, failed });
      if (this.pending.length >= MAX_BATCH) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), MAX_WAIT_MS);
    });
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      await this.prisma.$executeRaw`
        UPDATE webhook_delivery AS d SET status = 'DELIVERED', attempts = d.attempts + 1, response_code = u.code,
          response_body = u.body, latency_ms = u.latency, last_error = NULL, next_attempt_at = NULL,
          delivered_at = ${this.now()}, lease_owner = NULL, lease_until = NULL
        FROM unnest(${batch.map((each) => each.id)}::uuid[], ${batch.map((each) => each.code)}::int[],
          ${batch.map((each) => each.body)}::text[], ${batch.map((each) => each.latency)}::int[]) AS u(id, code, body, latency)
        WHERE d.id = u.id AND d.lease_owner = ${this.instanceId}`;
      for (const each of batch) each.done();
    } catch (error) {
      for (const each of batch) each.failed(error);
    }
  }
}
