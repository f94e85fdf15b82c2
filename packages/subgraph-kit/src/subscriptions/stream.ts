import { graphError, type GraphError } from '@car-check/service-kit';
import type { EntityChange } from './change';
import { encodeStreamCursor } from './cursor';
import type { ChangeSource } from './outbox';
import type { OutboxTailer, Registration } from './tailer';

export interface ChangeStreamOptions {
  /** The subgraph: whose cursors these are. */
  subgraph: string;
  /** Only changes of this entity (as the audit record names it, e.g. `Car`). */
  entity: string;
  source: ChangeSource;
  tailer: OutboxTailer;
  /** Resume right after this position (a decoded cursor); null: live changes from now on. */
  after: bigint | null;
  /** Whether a change is one the subscriber asked for (its filter). */
  matches: (change: EntityChange) => boolean | Promise<boolean>;
  /** Live changes that may wait for the subscriber; one more ends the stream with RESOURCE_EXHAUSTED. */
  bufferSize: number;
  /** Rows per replay read. */
  pageSize?: number;
  /** Called once when the stream ends, however it ends. */
  onEnd?: () => void;
}

const DEFAULT_REPLAY_PAGE = 200;

/**
 * One subscriber's changes, as an async iterator: every change after its cursor in
 * commit order, once, then the live ones. It registers for live changes first and
 * only then replays from the outbox page by page, so no change falls between the
 * two; it skips any change at or before the last position it handed out, so none
 * comes twice.
 *
 * Live changes wait in a bounded buffer. While replaying, an overflowing buffer is
 * simply emptied (the replay reads those rows from the outbox anyway, and reads once
 * more before going live). Once live, an overflow ends the stream with
 * RESOURCE_EXHAUSTED and the cursor of the last change handed out: the client resumes
 * from it, nothing is dropped silently.
 */
export class ChangeStream implements AsyncIterableIterator<EntityChange> {
  private readonly live: EntityChange[] = [];
  private replayPage: EntityChange[] = [];
  private registration: Registration | null = null;
  /** The last position taken (handed out, being filtered, or skipped): anything at or before it is a duplicate. */
  private position = 0n;
  /** The last position handed out or filtered out: every change up to it reached the consumer or is not for it. */
  private resumePoint = 0n;
  private replaying: boolean;
  /** The live buffer was emptied during the replay read in progress: read once more. */
  private replayDirty = false;
  private ended = false;
  private failure: GraphError | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: ChangeStreamOptions) {
    this.replaying = options.after !== null;
  }

  /** Registers for live changes; the stream starts after the cursor, or after the newest change now. */
  async open(): Promise<this> {
    this.registration = await this.options.tailer.register((change) => this.push(change));
    this.position = this.options.after ?? this.registration.from;
    this.resumePoint = this.position;
    return this;
  }

  /**
   * Where a client resumes without losing a change: the cursor of the last change handed
   * out (the consumer delivers it before it reads again) or filtered out; null before any.
   */
  get cursor(): string | null {
    return this.resumePoint > 0n ? encodeStreamCursor(this.options.subgraph, this.resumePoint) : null;
  }

  /** Ends the stream normally (graceful shutdown): the consumer's next read is done. */
  end(): void {
    this.finish(null);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<EntityChange>> {
    for (;;) {
      if (this.ended) return this.done();
      const change = await this.take();
      if (change === null) continue;
      if (change.sequence <= this.position) continue;
      this.position = change.sequence;
      let wanted = change.entity === this.options.entity;
      try {
        wanted &&= await this.options.matches(change);
      } catch (error) {
        this.fail('UNAVAILABLE', 'Cannot filter the changes right now; resume from the cursor.', error);
        continue;
      }
      if (this.ended) return this.done();
      this.resumePoint = change.sequence;
      if (wanted) return { value: change, done: false };
    }
  }

  async return(): Promise<IteratorResult<EntityChange>> {
    this.finish(null);
    this.failure = null;
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<EntityChange>> {
    this.finish(null);
    throw error;
  }

  private done(): IteratorResult<EntityChange> {
    const failure = this.failure;
    this.failure = null;
    if (failure) throw failure;
    return { value: undefined, done: true };
  }

  /** The next candidate change, null when the stream ended or a replay read moved on; waits when there is none. */
  private async take(): Promise<EntityChange | null> {
    const fromPage = this.replayPage.shift();
    if (fromPage) return fromPage;
    if (this.replaying) {
      this.replayDirty = false;
      let page: { changes: EntityChange[] };
      try {
        page = await this.options.source.page(this.position, this.options.pageSize ?? DEFAULT_REPLAY_PAGE);
      } catch (error) {
        this.fail('UNAVAILABLE', 'Cannot read the changes right now; resume from the cursor.', error);
        return null;
      }
      if (page.changes.length > 0) this.replayPage = page.changes;
      // Caught up, unless live changes were dropped during that read: they may be past it.
      else if (!this.replayDirty) this.replaying = false;
      return null;
    }
    const fromLive = this.live.shift();
    if (fromLive) return fromLive;
    await new Promise<void>((resolve) => (this.wake = resolve));
    return null;
  }

  private push(change: EntityChange): void {
    if (this.ended) return;
    this.live.push(change);
    if (this.live.length > this.options.bufferSize) {
      if (this.replaying) {
        // The replay reads these from the outbox; it reads once more before going live.
        this.live.length = 0;
        this.replayDirty = true;
      } else {
        this.fail(
          'RESOURCE_EXHAUSTED',
          `More than ${this.options.bufferSize} changes were waiting for this subscriber; resume from the cursor.`,
        );
      }
    }
    this.wakeUp();
  }

  /** Ends the stream with an error that carries the cursor to resume from. */
  private fail(code: 'UNAVAILABLE' | 'RESOURCE_EXHAUSTED', message: string, cause?: unknown): void {
    const cursor = this.cursor;
    this.finish(
      graphError(code, message, cursor ? { cursor } : {}, {
        originalError: cause instanceof Error ? cause : undefined,
      }),
    );
  }

  private finish(failure: GraphError | null): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    this.live.length = 0;
    this.replayPage = [];
    this.registration?.unregister();
    this.options.onEnd?.();
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
