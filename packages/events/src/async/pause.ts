/**
 * A wait that another part of the program can end early (a stop, a new write to
 * look at): one wait at a time, as in a polling loop.
 */
export class Pause {
  private endEarly: (() => void) | null = null;

  /** Waits `ms`, or until end() is called. */
  for(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.endEarly = done;
    }).then(() => {
      this.endEarly = null;
    });
  }

  /** Ends the wait in progress, if any, at once. */
  end(): void {
    this.endEarly?.();
  }
}
