import type { Logger } from '@car-check/service-kit';
import type { EntityChange } from './change';
import type { ChangeSource } from './outbox';

/** Gets every change the tailer reads, synchronously, in commit order. */
export type ChangeListener = (change: EntityChange) => void;

export interface Registration {
  /** The listener gets every change after this position, and none at or before it. */
  from: bigint;
  unregister(): void;
}

export interface TailerOptions {
  source: ChangeSource;
  /** How often the outbox is read when nothing woke the tailer (other processes' writes). */
  pollMs: number;
  /** Subscribes to this process's "a write committed" signal (onOutboxWritten); returns the unsubscribe. */
  wake: (listener: () => void) => () => void;
  log: Logger;
  /** Rows per read. */
  pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 500;

/**
 * The one reader of a subgraph's outbox for all its subscribers in this process: it
 * reads new rows when a write of this process commits (at once) or at each poll
 * (other instances' writes), and hands each change to every registered listener.
 * Subscribers never query for live changes themselves, however many there are.
 * It starts with its first subscriber, from the newest row then.
 */
export class OutboxTailer {
  private readonly listeners = new Set<ChangeListener>();
  /** The last position read: every change up to it went to the listeners registered then. */
  private position: bigint | null = null;
  private starting: Promise<void> | null = null;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private timer: NodeJS.Timeout | null = null;
  private unwake: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly options: TailerOptions) {}

  /**
   * Registers `listener` for live changes. The position it gets is exact: no await
   * separates reading it from adding the listener, and a read hands out its changes
   * and moves the position in one synchronous step.
   */
  async register(listener: ChangeListener): Promise<Registration> {
    await this.start();
    if (this.stopped) throw new Error('the outbox tailer is stopped');
    this.listeners.add(listener);
    return { from: this.position!, unregister: () => this.listeners.delete(listener) };
  }

  /** How many listeners it feeds. */
  get size(): number {
    return this.listeners.size;
  }

  /** Stops reading; resolves once a read in progress is over. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unwake?.();
    this.listeners.clear();
    await this.reading;
  }

  private start(): Promise<void> {
    this.starting ??= (async () => {
      this.position = await this.options.source.newest();
      if (this.stopped) return;
      this.unwake = this.options.wake(() => this.read());
      this.timer = setInterval(() => this.read(), this.options.pollMs);
      // Subscribers keep the process busy, not the tailer.
      this.timer.unref();
    })().catch((error: unknown) => {
      // The next subscriber tries again.
      this.starting = null;
      throw error;
    });
    return this.starting;
  }

  /** Reads everything new, then again if woken meanwhile; one read at a time. */
  private read(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readAll()
      .catch((error: unknown) =>
        this.options.log.warn({ err: error }, 'subscriptions: cannot read the outbox; retrying at the next poll'),
      )
      .finally(() => {
        this.reading = null;
        if (this.readAgain) {
          this.readAgain = false;
          this.read();
        }
      });
  }

  private async readAll(): Promise<void> {
    const pageSize = this.options.pageSize ?? DEFAULT_PAGE_SIZE;
    for (;;) {
      this.readAgain = false;
      const { changes, next } = await this.options.source.page(this.position!, pageSize);
      if (this.stopped) return;
      for (const change of changes) {
        this.position = change.sequence;
        for (const listener of this.listeners) listener(change);
      }
      if (next > this.position!) this.position = next;
      if (changes.length < pageSize) return;
    }
  }
}
