import type { Cluster } from 'node:cluster';

/**
 * Inbound deduplication across a clustered gateway's workers (WORKERS > 1).
 *
 * Each worker shares one execution among the identical queries it holds
 * (pipeline/inflightQueries.ts); with several workers the kernel spreads the
 * same clients' connections over all of them, so each would run the same
 * query once more. The primary keeps, for every query running in some worker,
 * which worker runs it: a worker about to run a query asks first, and if
 * another already runs it, waits for that one's answer instead. The primary
 * only relays: it never parses a document or touches an answer's body.
 *
 * The key is a digest of the in-process key (document hash, operation name,
 * variables, media type and the caller's identity and scopes), so callers whose
 * answers could differ never share one, across workers as within one.
 */
export const INFLIGHT_CHANNEL = 'car-check:inflight';

/** An answer as it crosses processes: what a follower needs to write it and to log it. */
export interface WireAnswer {
  status: number;
  headers: [string, string][];
  body: string;
  outcome: string;
  errors: number;
}

/** Whether `value` has a WireAnswer's shape (what a message says is checked before it is used). */
export function isWireAnswer(value: unknown): value is WireAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const a = value as Record<string, unknown>;
  return (
    typeof a.status === 'number' &&
    typeof a.body === 'string' &&
    typeof a.outcome === 'string' &&
    typeof a.errors === 'number' &&
    Array.isArray(a.headers) &&
    a.headers.every(
      (header: unknown) =>
        Array.isArray(header) && header.length === 2 && header.every((part) => typeof part === 'string'),
    )
  );
}

/** Worker to primary. */
export type WorkerInflightMessage =
  | { channel: typeof INFLIGHT_CHANNEL; type: 'claim'; id: number; key: string }
  /** The execution ended; `answer` only when the primary said someone waits for it (`wanted`), and it is shareable. */
  | { channel: typeof INFLIGHT_CHANNEL; type: 'done'; key: string; answer: WireAnswer | null };

/** Primary to worker. */
export type PrimaryInflightMessage =
  /** `lead`: run it (and say `done`); otherwise wait for its `answer`. */
  | { channel: typeof INFLIGHT_CHANNEL; type: 'claimed'; id: number; key: string; lead: boolean }
  /** To the worker running `key`: another worker waits for its answer. */
  | { channel: typeof INFLIGHT_CHANNEL; type: 'wanted'; key: string }
  /** To a waiting worker: the answer, or null (not shareable, or its worker is gone): run it yourself. */
  | { channel: typeof INFLIGHT_CHANNEL; type: 'answer'; key: string; answer: WireAnswer | null };

interface Execution {
  leader: number;
  waiting: Set<number>;
}

/** The primary's side: which worker runs which query, and who waits for it. */
export class InflightRegistry {
  private readonly executions = new Map<string, Execution>();

  constructor(private readonly send: (workerId: number, message: PrimaryInflightMessage) => void) {}

  /** A message from worker `workerId`; anything not on this channel is someone else's. */
  receive(workerId: number, message: unknown): void {
    if (!isWorkerMessage(message)) return;
    if (message.type === 'claim') this.claim(workerId, message.id, message.key);
    else this.done(workerId, message.key, message.answer);
  }

  /** A worker exited: the queries it ran end with no answer, and it waits for none. */
  workerGone(workerId: number): void {
    for (const [key, execution] of this.executions) {
      if (execution.leader === workerId) {
        this.executions.delete(key);
        this.answer(execution, key, null);
      } else {
        execution.waiting.delete(workerId);
      }
    }
  }

  /** Queries running in some worker (for tests and metrics). */
  get size(): number {
    return this.executions.size;
  }

  private claim(workerId: number, id: number, key: string): void {
    const running = this.executions.get(key);
    // A worker's own earlier execution of this key has said `done` before this claim (one channel, in order).
    if (!running || running.leader === workerId) {
      if (!running) this.executions.set(key, { leader: workerId, waiting: new Set() });
      this.send(workerId, { channel: INFLIGHT_CHANNEL, type: 'claimed', id, key, lead: true });
      return;
    }
    if (running.waiting.size === 0) this.send(running.leader, { channel: INFLIGHT_CHANNEL, type: 'wanted', key });
    running.waiting.add(workerId);
    this.send(workerId, { channel: INFLIGHT_CHANNEL, type: 'claimed', id, key, lead: false });
  }

  private done(workerId: number, key: string, answer: WireAnswer | null): void {
    const running = this.executions.get(key);
    if (!running || running.leader !== workerId) return;
    this.executions.delete(key);
    this.answer(running, key, answer);
  }

  private answer(execution: Execution, key: string, answer: WireAnswer | null): void {
    for (const workerId of execution.waiting)
      this.send(workerId, { channel: INFLIGHT_CHANNEL, type: 'answer', key, answer });
  }
}

function isWorkerMessage(message: unknown): message is WorkerInflightMessage {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  return (
    m.channel === INFLIGHT_CHANNEL &&
    typeof m.key === 'string' &&
    ((m.type === 'claim' && typeof m.id === 'number') ||
      (m.type === 'done' && (m.answer === null || isWireAnswer(m.answer))))
  );
}

/** Serves the registry to a cluster's workers (in the primary). */
export function serveInflightRegistry(cluster: Cluster): InflightRegistry {
  const registry = new InflightRegistry((workerId, message) => {
    const worker = cluster.workers?.[workerId];
    if (worker?.isConnected()) worker.send(message);
  });
  cluster.on('message', (worker, message: unknown) => registry.receive(worker.id, message));
  cluster.on('exit', (worker) => registry.workerGone(worker.id));
  return registry;
}
