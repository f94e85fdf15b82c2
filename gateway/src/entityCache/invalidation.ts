import type { Logger } from '@car-check/service-kit';
import { readOwnerFeed, type OwnerFeedSource } from './ownerFeed';
import type { EntityStore } from './store';

/** How many events one read of a feed takes at most (the feed's own largest page). */
const PAGE = 1000;

export type InvalidationState = 'starting' | 'live' | 'down';

export interface InvalidationEvents {
  /** An entity's change reached the cache `lagMs` after it was made. */
  onApplied(owner: string, lagMs: number, dropped: number): void;
  onState(owner: string, state: InvalidationState): void;
}

/**
 * Follows one owner's event feed from its newest event on, and drops the cache entries of each
 * entity it changes. While the feed cannot be read, entries live out their maxAge (the
 * backstop) and the state says so; reading resumes where it stopped, so no change is missed.
 */
export class OwnerInvalidation {
  private position: number | null = null;
  private currentState: InvalidationState = 'starting';
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** The read in progress, shared by whoever asks for one meanwhile. */
  private reading: Promise<void> | null = null;

  constructor(
    private readonly source: OwnerFeedSource,
    private readonly store: EntityStore,
    private readonly pollMs: number,
    private readonly log: Logger,
    private readonly events: InvalidationEvents,
  ) {}

  get owner(): string {
    return this.source.owner;
  }

  get state(): InvalidationState {
    return this.currentState;
  }

  /** The feed position every change up to which has been applied; null before the first read. */
  get applied(): number | null {
    return this.position;
  }

  start(): void {
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * Reads the feed now (a write to the owner has just committed) and returns the position
   * applied after it: every change committed before the call is at or below it. Null when the
   * feed could not be read.
   */
  async readNow(): Promise<number | null> {
    await this.read();
    return this.currentState === 'live' ? this.position : null;
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    await this.read();
    if (!this.stopped) this.timer = setTimeout(() => void this.poll(), this.pollMs).unref();
  }

  private read(): Promise<void> {
    // A read already under way may have begun before the caller's write committed: wait for it, then read again.
    const previous = this.reading ?? Promise.resolve();
    const next = previous.then(() => this.readAll());
    this.reading = next.finally(() => {
      if (this.reading === next) this.reading = null;
    });
    return next;
  }

  private async readAll(): Promise<void> {
    try {
      if (this.position === null) {
        this.position = (await readOwnerFeed(this.source, 'latest', 1)).next;
      } else {
        for (;;) {
          const page = await readOwnerFeed(this.source, this.position, PAGE);
          const now = Date.now();
          const dropped = await this.store.invalidate(page.changed.map(({ id }) => ({ owner: this.owner, id })));
          for (const change of page.changed)
            this.events.onApplied(this.owner, Number.isFinite(change.at) ? Math.max(0, now - change.at) : 0, dropped);
          this.position = page.next;
          if (page.count < PAGE) break;
        }
      }
      this.setState('live');
    } catch (error) {
      if (this.currentState !== 'down')
        this.log.warn(
          { owner: this.owner, err: error },
          `entity cache: cannot read the ${this.owner} event feed; its entries now expire by their maxAge only`,
        );
      this.setState('down');
    }
  }

  private setState(state: InvalidationState): void {
    if (state === this.currentState) return;
    if (state === 'live' && this.currentState === 'down')
      this.log.info({ owner: this.owner }, `entity cache: reading the ${this.owner} event feed again`);
    this.currentState = state;
    this.events.onState(this.owner, state);
  }
}
