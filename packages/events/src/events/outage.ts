import type { Logger } from '@car-check/service-kit';

/**
 * An outage of something a loop depends on (a broker, a feed), said twice: a warning
 * when it begins (not once per failed attempt) and a line with its length when it ends.
 */
export class Outage {
  private since: number | null = null;

  constructor(private readonly log: Logger) {}

  /** Warns that an outage began; nothing when one is already under way. */
  began(fields: Record<string, unknown>, message: string): void {
    if (this.since !== null) return;
    this.since = Date.now();
    this.log.warn(fields, message);
  }

  /** Says that the outage under way ended, and after how long (`outageMs`); nothing when there was none. */
  ended(fields: Record<string, unknown>, message: string): void {
    if (this.since === null) return;
    this.log.info({ ...fields, outageMs: Date.now() - this.since }, message);
    this.since = null;
  }
}
