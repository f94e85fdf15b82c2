import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { CloudEvent } from './cloudEvent';
import { type ConsumerStatus, FeedConsumer, type FeedConsumerOptions } from './consumer';
import { sequenceOf, type ConsumerSql } from './consumerStore';
import { retryUntilStopped } from '../async/retry';
import { closeAmqpConnection, redactAmqpUrl, type AmqpSettings } from './relay';
import type { EventRejection } from './signature';

export interface AmqpConsumerOptions<TX extends ConsumerSql> extends FeedConsumerOptions<TX> {
  amqp: AmqpSettings & {
    /** The durable queue this consumer reads (shared by its instances). */
    queue: string;
    /** Routing keys bound to the exchange, e.g. `cost-center.*`. */
    bindings: string[];
  };
}

/**
 * The broker delivery mode of a consumer (AMQP_URL set): instead of polling
 * the owner's feed, it reads a durable queue bound to the owner's events on
 * the durable topic exchange the owner's relay publishes to (relay.ts), with
 * manual acknowledgements and a bounded prefetch. Each message goes through
 * the same apply / retry / dead-letter path as the feed's events
 * ({@link FeedConsumer}): one transaction per event under the consumer's lock,
 * the cursor (here: the highest sequence applied, for observability) saved
 * with it; after `maxAttempts` failures a row in `event_dead_letter`. A
 * message is acknowledged only once its event is applied or dead-lettered,
 * so a crash redelivers it (at least once: the handler is idempotent by
 * revision). Messages are handled one at a time, in the order they arrive.
 * The feed's batch mode (`applyBatch`) does not apply here: messages arrive
 * one by one with a bounded prefetch, and batching them would hold their
 * acknowledgements back; each goes through `apply` in its own transaction.
 */
export class AmqpConsumer<TX extends ConsumerSql> extends FeedConsumer<TX> {
  protected override readonly mode = 'amqp' as const;
  protected override readonly ordered = false;
  private connection: ChannelModel | null = null;
  /** Resolves when the connection closes (or stop() is called). */
  private closed: (() => void) | null = null;
  /** Messages are handled one after another. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly amqpOptions: AmqpConsumerOptions<TX>) {
    super(amqpOptions);
  }

  override stop(): Promise<void> {
    // Ends the wait for the connection to drop; the loop sees it stopped (stop() clears `running` before it resumes).
    this.closed?.();
    return super.stop();
  }

  override status(): ConsumerStatus & { broker: string; queue: string } {
    return { ...super.status(), broker: redactAmqpUrl(this.amqpOptions.amqp.url), queue: this.amqpOptions.amqp.queue };
  }

  /** Reads the queue until stopped, reconnecting with backoff (instead of polling the feed). */
  protected override async run(): Promise<void> {
    const { queue } = this.amqpOptions.amqp;
    // After a working connection drops, the first reconnection waits too: a broker that is down is not hammered.
    let reconnecting = false;
    while (this.running) {
      const attached = await retryUntilStopped(() => this.attachOrDetach(), {
        firstDelayMs: this.settings.pollMs,
        maxDelayMs: this.settings.maxBackoffMs,
        signal: this.abort.signal,
        delayFirstAttempt: reconnecting,
        onFailure: (error) => this.queueOutageBegan(error),
      });
      if (!attached) break;
      this.outage.ended({ consumer: this.name, queue }, 'event queue reachable again');
      // Until the connection drops or stop() is called.
      await new Promise<void>((resolve) => {
        this.closed = resolve;
        if (!this.running || !this.connection) resolve();
      });
      if (this.running) {
        this.queueOutageBegan(new Error('the broker connection closed'));
        reconnecting = true;
      }
      await this.detach();
    }
    // A connection attached while stopping.
    await this.detach();
  }

  private queueOutageBegan(error: unknown): void {
    this.outage.began(
      { consumer: this.name, queue: this.amqpOptions.amqp.queue, err: error },
      'cannot read the event queue; retrying with backoff (the read model is falling behind)',
    );
  }

  /** Attaches to the queue; a half-made connection is closed before the next attempt. */
  private async attachOrDetach(): Promise<void> {
    try {
      await this.attach();
    } catch (error) {
      await this.detach();
      throw error;
    }
  }

  /** Lets the message in hand finish (or give up) before its channel goes, then closes the connection. */
  private async detach(): Promise<void> {
    this.connected = false;
    this.closed = null;
    await this.chain;
    const connection = this.connection;
    this.connection = null;
    await closeAmqpConnection(connection);
  }

  private async attach(): Promise<void> {
    const { amqp } = this.amqpOptions;
    await this.loadState();
    const connection = await connect(amqp.url);
    this.connection = connection;
    connection.on('error', () => {
      // 'close' follows.
    });
    connection.on('close', () => {
      this.connected = false;
      this.closed?.();
    });
    const channel = await connection.createChannel();
    channel.on('error', () => {
      // The connection closes with it.
    });
    channel.on('close', () => this.closed?.());
    await channel.assertExchange(amqp.exchange, 'topic', { durable: true });
    await channel.assertQueue(amqp.queue, { durable: true });
    for (const binding of amqp.bindings) await channel.bindQueue(amqp.queue, amqp.exchange, binding);
    await channel.prefetch(amqp.prefetch);
    // A consumer that has applied nothing yet (new, or its read model emptied) first reads the
    // owner's whole history from its feed: its queue exists from here on, so nothing published
    // later is lost, and what was published before (dropped by the broker for want of a queue,
    // e.g. the demo data of a first start) is in the feed. Applying by revision makes the
    // overlap with the queue harmless.
    if (this.position === 0n) await this.backfillFromFeed();
    await channel.consume(
      amqp.queue,
      (message) => {
        if (!message) {
          // Cancelled by the broker (e.g. the queue was deleted).
          this.closed?.();
          return;
        }
        this.chain = this.chain.then(() => this.handle(channel, message));
      },
      { noAck: false },
    );
    this.connected = true;
    this.caughtUpAt = Date.now();
  }

  /** Applies every event of the owner's feed, in order, as the feed mode would (see attach); throws when the feed cannot be read. */
  private async backfillFromFeed(): Promise<void> {
    for (;;) {
      const outcome = await this.poll();
      if (!this.running) return;
      if (outcome === 'idle') break;
      const pause = this.pauseAfter(outcome);
      if (pause > 0) await this.sleep(pause);
    }
    this.options.log.info(
      { consumer: this.name, owner: this.options.owner, position: String(this.position) },
      'read the owner’s event feed from the start before reading the queue',
    );
  }

  /** Applies one message's event (retrying, or dead-lettering it), then acks it; never throws. */
  private async handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    let event: CloudEvent;
    try {
      event = JSON.parse(message.content.toString('utf8')) as CloudEvent;
      if (typeof event !== 'object' || event === null) throw new Error('not a JSON object');
    } catch (error) {
      // Not JSON: no handler can ever take it, and no owner signed it.
      const raw = {
        id: String(message.properties.messageId ?? ''),
        raw: message.content.toString('utf8').slice(0, 10_000),
      };
      const detail = `not a JSON object (${error instanceof Error ? error.message : String(error)})`;
      if (await this.rejectNow(raw, { reason: 'unsigned', detail })) this.ack(channel, message);
      return;
    }
    // Before anything else: what its owner did not sign never reaches a revision, the cursor or the lag's clock.
    const rejection = this.options.verifier.check(event);
    if (rejection) {
      if (await this.rejectNow(event, rejection)) this.ack(channel, message);
      return;
    }
    const sequence = sequenceOf(event) ?? 0n;
    let warned = false;
    while (this.running) {
      const applied = await this.retryDatabase(
        () => {
          this.pendingSince = Date.parse(event.time) || Date.now();
          return this.applyOne(event, sequence);
        },
        // The database cannot be reached: not the event's fault, no attempt counted. Said once per message.
        (error) => {
          if (warned) return;
          warned = true;
          const fields = { consumer: this.name, eventId: event.id, err: error };
          this.options.log.warn(fields, 'cannot apply an event from the queue; retrying');
        },
      );
      if (!applied) break;
      if (applied.value === 'busy') {
        await this.sleep(this.settings.pollMs);
        continue;
      }
      if (applied.value === 'retry') {
        await this.sleep(this.backoff(Math.max(...this.attempts.values(), 1)));
        continue;
      }
      this.pendingSince = null;
      this.caughtUpAt = Date.now();
      this.ack(channel, message);
      return;
    }
    // Stopped with the message in hand: not acked, the broker delivers it again.
  }

  /** Dead-letters a message its owner did not sign, at once (see reject); false when stopped first (not acked: delivered again). */
  private async rejectNow(event: unknown, rejection: EventRejection): Promise<boolean> {
    // Database outage: try again.
    return (await this.retryDatabase(() => this.reject(event, rejection))) !== null;
  }

  private ack(channel: Channel, message: ConsumeMessage): void {
    try {
      channel.ack(message);
    } catch {
      // The channel closed meanwhile: the broker delivers the message again (applying it again changes nothing).
    }
  }
}
