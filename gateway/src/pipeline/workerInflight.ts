import { sha256Base64Url } from '@car-check/service-kit';
import { PRIMARY_REPLY_TIMEOUT_MS } from '../processConfig';
import {
  INFLIGHT_CHANNEL,
  isWireAnswer,
  type PrimaryInflightMessage,
  type WireAnswer,
  type WorkerInflightMessage,
} from '../inflightRegistry';

/** How a worker reaches its primary: the process's IPC channel in a cluster worker, a fake in tests. */
export interface PrimaryPort {
  connected(): boolean;
  send(message: WorkerInflightMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  onDisconnect(listener: () => void): void;
}

/** What the primary said of a query this worker is about to run. */
export type Claim =
  /** Run it, then `finish` with its answer (another worker may be waiting for it). */
  | { lead: true; finish(answer: WireAnswer | null): void }
  /** Another worker runs it: its answer, or null (not shareable, that worker gone, or past `waitUntil`). */
  | { lead: false; answer: Promise<WireAnswer | null> };

/**
 * A query whose executions take less than this runs sooner than another worker's answer would
 * come back through the primary: it is not worth asking about. The small query of the community
 * benchmark (about 1–3 ms under load) lost a fifth of its throughput to the asking; its nested one
 * (about 20 ms) gains.
 */
export const WORTH_ASKING_MS = 5;

/**
 * A worker's side of deduplication across workers (inflightRegistry.ts): asks
 * the primary before running a query, and hands its answer on when another
 * worker waits for it. Only the first of a worker's identical queries asks;
 * the others wait for it in process (InflightQueries).
 */
export class WorkerInflight {
  private lastId = 0;
  private readonly claims = new Map<number, (lead: boolean) => void>();
  private readonly waiting = new Map<string, (answer: WireAnswer | null) => void>();
  /** Queries this worker leads, and whether another worker waits for each. */
  private readonly leading = new Map<string, boolean>();
  /** How long each operation's executions take here (a moving average, ms), by its parsed operation (cached per document). */
  private readonly durations = new WeakMap<object, number>();

  constructor(
    private readonly primary: PrimaryPort,
    private readonly replyTimeoutMs = PRIMARY_REPLY_TIMEOUT_MS,
  ) {
    primary.onMessage((message) => this.receive(message));
    // No answer can come any more: what was asked runs here, what was awaited too.
    primary.onDisconnect(() => {
      for (const resolve of [...this.claims.values()]) resolve(true);
      for (const settle of [...this.waiting.values()]) settle(null);
    });
  }

  private static ofThisProcess?: WorkerInflight;

  /**
   * The cluster worker's own channel to its primary: one per process, however many gateways it
   * builds, so that the primary's replies (by claim id) reach the one that asked.
   */
  static ofProcess(): WorkerInflight {
    return (WorkerInflight.ofThisProcess ??= new WorkerInflight({
      connected: () => process.connected,
      send: (message) => process.send?.(message),
      onMessage: (listener) => process.on('message', listener),
      onDisconnect: (listener) => process.on('disconnect', listener),
    }));
  }

  /** Whether to ask about `operation`: unless its executions here have been quick (WORTH_ASKING_MS). */
  worthAsking(operation: object): boolean {
    return !((this.durations.get(operation) ?? Infinity) < WORTH_ASKING_MS);
  }

  /** An execution of `operation` here took `ms`. */
  observe(operation: object, ms: number): void {
    const average = this.durations.get(operation);
    this.durations.set(operation, average === undefined ? ms : average * 0.8 + ms * 0.2);
  }

  /**
   * Asks whether another worker already runs the query of `key` (an in-process
   * key: hashed here, so any variables fit one short message). A follower waits
   * at most until `waitUntil` (its deadline, epoch ms), then runs it itself.
   */
  claim(key: string, waitUntil: number): Promise<Claim> {
    const wireKey = sha256Base64Url(key);
    // Shutting down (the channel closed): nothing to share with; run it here.
    if (!this.primary.connected()) return Promise.resolve({ lead: true, finish: () => undefined });
    const id = ++this.lastId;
    return new Promise<Claim>((resolve) => {
      // A primary that does not answer in time: this worker runs it, as the one running it (its `done`
      // then clears the primary's record, should the claim reach it later).
      const timer = setTimeout(() => this.claims.get(id)?.(true), this.replyTimeoutMs);
      // Run as the primary's answer is read, not after an await: the messages that follow it
      // (`wanted`, `answer`) can be read in the same turn, and must find what they refer to.
      this.claims.set(id, (lead) => {
        clearTimeout(timer);
        this.claims.delete(id);
        if (lead) {
          this.leading.set(wireKey, false);
          resolve({ lead: true, finish: (answer) => this.finish(wireKey, answer) });
        } else {
          resolve({ lead: false, answer: this.answerOf(wireKey, waitUntil) });
        }
      });
      this.primary.send({ channel: INFLIGHT_CHANNEL, type: 'claim', id, key: wireKey });
    });
  }

  private finish(wireKey: string, answer: WireAnswer | null): void {
    const wanted = this.leading.get(wireKey);
    if (wanted === undefined) return;
    this.leading.delete(wireKey);
    if (!this.primary.connected()) return;
    // The body crosses processes only when another worker waits for it.
    this.primary.send({ channel: INFLIGHT_CHANNEL, type: 'done', key: wireKey, answer: wanted ? answer : null });
  }

  private answerOf(wireKey: string, waitUntil: number): Promise<WireAnswer | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(null), Math.max(0, waitUntil - Date.now()));
      const settle = (answer: WireAnswer | null) => {
        clearTimeout(timer);
        if (this.waiting.get(wireKey) === settle) this.waiting.delete(wireKey);
        resolve(answer);
      };
      this.waiting.set(wireKey, settle);
    });
  }

  private receive(message: unknown): void {
    if (!isPrimaryMessage(message)) return;
    if (message.type === 'claimed') {
      const resolve = this.claims.get(message.id);
      if (resolve) resolve(message.lead);
      // A reply no claim waits for (one given up on, or sent twice) that makes this worker the one
      // running a query it does not run: say it is done, so that no other worker waits for it.
      else if (message.lead && !this.leading.has(message.key) && this.primary.connected())
        this.primary.send({ channel: INFLIGHT_CHANNEL, type: 'done', key: message.key, answer: null });
    } else if (message.type === 'wanted') {
      if (this.leading.has(message.key)) this.leading.set(message.key, true);
    } else {
      this.waiting.get(message.key)?.(message.answer);
    }
  }
}

/** A message of this channel with the shape its type says (anything else is ignored). */
function isPrimaryMessage(message: unknown): message is PrimaryInflightMessage {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  if (m.channel !== INFLIGHT_CHANNEL || typeof m.key !== 'string') return false;
  if (m.type === 'claimed') return typeof m.id === 'number' && typeof m.lead === 'boolean';
  if (m.type === 'answer') return m.answer === null || isWireAnswer(m.answer);
  return m.type === 'wanted';
}
