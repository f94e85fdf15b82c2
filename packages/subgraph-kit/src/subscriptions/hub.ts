import { graphError, type Logger } from '@car-check/service-kit';
import type { EntityChange } from './change';
import { decodeStreamCursor } from './cursor';
import type { ChangeSource } from './outbox';
import type { SubscriptionSettings } from './settings';
import { ChangeStream } from './stream';
import { OutboxTailer } from './tailer';

export interface SubscriptionHubOptions {
  subgraph: string;
  source: ChangeSource;
  settings: SubscriptionSettings;
  /** This process's "a write committed" signal (onOutboxWritten): the tailer reads at once. */
  wake: (listener: () => void) => () => void;
  log: Logger;
}

export interface OpenStream {
  entity: string;
  /** The client's cursor (`after`, or the `Last-Event-ID` that overrides it); absent: live from now. */
  after: string | null;
  matches: (change: EntityChange) => boolean | Promise<boolean>;
}

const REFUSED_POSITION = {
  future: 'The cursor is ahead of this subgraph’s changes: it is not one this subscription gave out.',
  unknown: 'The cursor names no change of this subgraph: it is not one this subscription gave out.',
} as const;

/**
 * A subgraph's subscriptions in this process: one outbox tailer feeding every open
 * stream, the check of a cursor before a stream opens, and the end of every stream
 * on shutdown.
 */
export class SubscriptionHub {
  private readonly tailer: OutboxTailer;
  private readonly streams = new Set<ChangeStream>();
  private closed = false;

  constructor(private readonly options: SubscriptionHubOptions) {
    this.tailer = new OutboxTailer({
      source: options.source,
      pollMs: options.settings.pollMs,
      wake: options.wake,
      log: options.log,
    });
  }

  get settings(): SubscriptionSettings {
    return this.options.settings;
  }

  /** How many streams are open. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Opens a subscriber's stream: INVALID_ARGUMENT for a cursor this subgraph did not
   * give out, OUT_OF_RANGE for one that is no longer (or not yet) retained, so the
   * client refetches; UNAVAILABLE while shutting down or when the outbox cannot be read.
   */
  async open(request: OpenStream): Promise<ChangeStream> {
    const { subgraph, source, settings } = this.options;
    if (this.closed) throw this.shuttingDown();
    const after = request.after === null ? null : decodeStreamCursor(subgraph, request.after);
    if (after !== null) {
      const position = await this.unavailableOnFailure(() =>
        source.check(after, request.entity, settings.replayWindowMs),
      );
      if (position === 'expired') {
        throw graphError(
          'OUT_OF_RANGE',
          `Changes after this cursor are older than the replay window (${settings.replayWindowMs / 3_600_000} h): refetch, then subscribe without a cursor.`,
          { field: 'after' },
        );
      }
      if (position !== 'ok') throw graphError('OUT_OF_RANGE', REFUSED_POSITION[position], { field: 'after' });
    }
    const stream = new ChangeStream({
      subgraph,
      entity: request.entity,
      source,
      tailer: this.tailer,
      after,
      matches: request.matches,
      bufferSize: settings.bufferSize,
      onEnd: () => this.streams.delete(stream),
    });
    await this.unavailableOnFailure(() => stream.open());
    if (this.closed) {
      stream.end();
      throw this.shuttingDown();
    }
    this.streams.add(stream);
    return stream;
  }

  /** Ends every stream normally (their consumers send `complete`), then stops reading the outbox. */
  async close(): Promise<void> {
    this.closed = true;
    for (const stream of this.streams) stream.end();
    await this.tailer.stop();
  }

  private shuttingDown() {
    return graphError('UNAVAILABLE', 'This subgraph instance is shutting down; subscribe again.');
  }

  private async unavailableOnFailure<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      this.options.log.warn({ err: error }, 'subscriptions: cannot read the outbox to open a stream');
      throw graphError(
        'UNAVAILABLE',
        'Cannot read the changes right now; retry later.',
        {},
        {
          originalError: error instanceof Error ? error : undefined,
        },
      );
    }
  }
}
