/**
 * The time the delivery schedule runs on: when an attempt is due, when a lease ends, when a
 * rotated secret stops signing. Real time, plus an offset that only tests move: they can
 * live through a day of retries in seconds. The `webhook-timestamp` header is real time
 * (receivers compare it with their own clocks).
 */
export class DeliveryClock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves this clock forward (tests: "a day later"). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
