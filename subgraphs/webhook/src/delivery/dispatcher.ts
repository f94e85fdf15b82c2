import { randomUUID } from 'node:crypto';
import type { Logger } from '@car-check/service-kit';
import { outboxWritten } from '@car-check/events';
import type { WebhookSettings } from '../config';
import type { PrismaClient } from '../prisma';
import type { DeliveryClock } from './clock';
import { disableEndpoint } from './disableEndpoint';
import { postPinned, type PostResult } from './httpPost';
import type { DeliveryMetrics } from './metrics';
import { RefusedUrl, resolveTarget, type Resolver } from './resolveTarget';
import { retryDelayMs } from './schedule';
import { type SecretBox, signingKeyOf, type SigningScheme } from './secrets';
import { webhookHeaders, type SigningKey } from './signing';
import { cloudEventBody } from './body';
import { DeliveredBatch } from './deliveredBatch';

/** The `webhook-id` of a delivery: the same for every attempt and replay of one event to one endpoint. */
export const messageIdOf = (deliveryId: string): string => `msg_${deliveryId.replace(/-/g, '')}`;

/** A claimed delivery with what sending it needs. */
interface Claimed {
  id: string;
  endpoint_id: string;
  attempts: number;
  event: unknown;
  url: string;
  signing: SigningScheme;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
}

export interface DispatcherDeps {
  prisma: PrismaClient;
  log: Logger;
  settings: WebhookSettings;
  clock: DeliveryClock;
  /** How endpoint hosts are resolved (read at every attempt: tests swap it). */
  resolver: () => Resolver;
  box: SecretBox;
  metrics: DeliveryMetrics;
  random?: () => number;
}

/** Candidates looked at per round; a full round is followed by another at once. */
const ROUND_SIZE = 500;
/** Attempts in flight in this process at once, over all endpoints. */
const GLOBAL_IN_FLIGHT = 256;

/**
 * Sends due deliveries. Each round claims due deliveries with a lease (this instance's id
 * and an end time): two instances never send the same delivery at once, and one that
 * was killed mid-send leaves a lease that ends, after which any instance sends it again
 * (at least once; the receiver recognises the duplicate by its `webhook-id`).
 *
 * Isolation: each endpoint has its own in-flight limit (WEBHOOK_CONCURRENCY_PER_ENDPOINT),
 * attempts are not awaited by the round, and a failing endpoint's deliveries wait for
 * their next attempt time: a slow or dead endpoint only ever occupies its own slots.
 * Order: a delivery is only due when no earlier event (owner sequence) about the same
 * entity is still pending to the same endpoint, so one entity's events arrive in order.
 */
export class Dispatcher {
  readonly instanceId = randomUUID();
  private readonly inFlight = new Map<string, number>();
  private total = 0;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  /** Rounds begun and ended, and who waits for one to end (see settled()). */
  private roundsBegun = 0;
  private roundsEnded = 0;
  private readonly roundWaiters = new Set<{ round: number; resolve: () => void }>();
  private readonly sends = new Set<Promise<void>>();
  private readonly delivered: DeliveredBatch;
  /** Opened secrets by their sealed text: decrypted once, not at every attempt. */
  private readonly opened = new Map<string, string>();

  constructor(private readonly deps: DispatcherDeps) {
    this.delivered = new DeliveredBatch(deps.prisma, this.instanceId, () => deps.clock.now());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // A stop ended every round for its waiters; a new start counts again from the rounds begun.
    this.roundsEnded = this.roundsBegun;
    this.loop = this.run();
  }

  /** Stops claiming, then waits for the attempts in flight (their outcome is recorded). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.sends]);
    await this.delivered.flush();
  }

  /** Looks for due deliveries now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  status() {
    return { instance: this.instanceId, inFlight: this.total };
  }

  /**
   * Resolves once the dispatcher has done all it can now: a round begun after the call found
   * nothing more to claim, and every attempt it started is recorded. For what moves the delivery
   * clock step by step (the tests' simulated days), in place of a pause long enough on every machine.
   */
  async settled(): Promise<void> {
    while (this.running) {
      const after = this.roundsBegun;
      this.wake();
      await new Promise<void>((resolve) => this.roundWaiters.add({ round: after + 1, resolve }));
      if (this.sends.size === 0) return;
      await Promise.allSettled([...this.sends]);
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let full = false;
      const round = ++this.roundsBegun;
      try {
        full = (await this.round()) >= ROUND_SIZE;
      } catch (error) {
        this.deps.log.warn({ err: error }, 'webhook dispatcher round failed; trying again');
      } finally {
        this.roundEnded(round);
      }
      if (!full || this.total >= GLOBAL_IN_FLIGHT) await this.idle();
    }
    // Stopped: nobody waits for a round that will not come.
    this.roundEnded(Number.POSITIVE_INFINITY);
  }

  private roundEnded(round: number): void {
    this.roundsEnded = Math.max(this.roundsEnded, round);
    for (const waiter of this.roundWaiters) {
      if (waiter.round > this.roundsEnded) continue;
      this.roundWaiters.delete(waiter);
      waiter.resolve();
    }
  }

  private idle(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.deps.settings.pollMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        this.woken = false;
        done();
      };
    });
  }

  /** One round: claims what is due within the limits, starts sending it; returns the candidates seen. */
  private async round(): Promise<number> {
    const { prisma, clock, settings } = this.deps;
    const now = clock.now();
    // Leases are in real time (a killed process's lease ends after WEBHOOK_LEASE_MS of it), the
    // schedule in the delivery clock's: a test that moves the clock never ends a lease in flight.
    const wallNow = new Date();
    // Endpoints already at their limit here are left out, and each other endpoint brings at most
    // its limit: a backlog at one endpoint can never fill a round and starve the others.
    const busy = [...this.inFlight].filter(([, count]) => count >= settings.concurrencyPerEndpoint).map(([id]) => id);
    const candidates = await prisma.$queryRaw<{ id: string; endpoint_id: string }[]>`
      SELECT id, endpoint_id FROM (
        SELECT d.id::text AS id, d.endpoint_id::text AS endpoint_id, d.next_attempt_at, d.owner, d.sequence,
          row_number() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.owner, d.sequence) AS place
        FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id
        WHERE d.status = 'PENDING' AND e.enabled AND d.next_attempt_at <= ${now}
          AND (d.lease_until IS NULL OR d.lease_until < ${wallNow})
          AND d.endpoint_id::text <> ALL(${busy}::text[])
          AND NOT EXISTS (
            SELECT 1 FROM webhook_delivery p
            WHERE p.endpoint_id = d.endpoint_id AND p.owner = d.owner AND p.subject = d.subject
              AND p.status = 'PENDING' AND p.sequence < d.sequence)
      ) due
      WHERE place <= ${settings.concurrencyPerEndpoint}
      ORDER BY next_attempt_at, owner, sequence
      LIMIT ${ROUND_SIZE}`;
    const room = new Map<string, number>();
    let globalRoom = GLOBAL_IN_FLIGHT - this.total;
    const ids: string[] = [];
    for (const { id, endpoint_id } of candidates) {
      const left = room.get(endpoint_id) ?? settings.concurrencyPerEndpoint - (this.inFlight.get(endpoint_id) ?? 0);
      if (left <= 0 || globalRoom <= 0) continue;
      room.set(endpoint_id, left - 1);
      globalRoom -= 1;
      ids.push(id);
    }
    if (ids.length === 0) return candidates.length;
    const leaseUntil = new Date(wallNow.getTime() + settings.leaseMs);
    // Conditional on the lease still being free: of two instances, one wins each row.
    const claimed = await prisma.$queryRaw<Claimed[]>`
      WITH won AS (
        UPDATE webhook_delivery SET lease_owner = ${this.instanceId}, lease_until = ${leaseUntil}
        WHERE id = ANY(${ids}::uuid[]) AND status = 'PENDING' AND (lease_until IS NULL OR lease_until < ${wallNow})
        RETURNING id, endpoint_id, event_row_id, attempts)
      SELECT won.id::text AS id, won.endpoint_id::text AS endpoint_id, won.attempts, ev.event, e.url, e.signing,
        e.secret, e.previous_secret, e.previous_secret_until
      FROM won JOIN webhook_event ev ON ev.id = won.event_row_id JOIN webhook_endpoint e ON e.id = won.endpoint_id
      ORDER BY ev.owner, ev.sequence`;
    for (const delivery of claimed) this.track(delivery);
    return candidates.length;
  }

  private track(delivery: Claimed): void {
    const endpoint = delivery.endpoint_id;
    this.inFlight.set(endpoint, (this.inFlight.get(endpoint) ?? 0) + 1);
    this.total += 1;
    const send = this.send(delivery)
      .catch((error: unknown) =>
        this.deps.log.error({ err: error, delivery: delivery.id }, 'webhook attempt not recorded'),
      )
      .finally(() => {
        const left = (this.inFlight.get(endpoint) ?? 1) - 1;
        if (left > 0) this.inFlight.set(endpoint, left);
        else this.inFlight.delete(endpoint);
        this.total -= 1;
        this.sends.delete(send);
        // A slot is free: what waited for it (this endpoint's next delivery, or the entity's next event) may go.
        this.wake();
      });
    this.sends.add(send);
  }

  /** The keys that sign for an endpoint now: its secret, and the one before a rotation during its grace period. */
  private keysOf(delivery: Claimed): SigningKey[] {
    const { clock } = this.deps;
    const keys = [signingKeyOf(delivery.signing, this.open(delivery.secret))];
    if (delivery.previous_secret && delivery.previous_secret_until && delivery.previous_secret_until > clock.now()) {
      keys.push(signingKeyOf(delivery.signing, this.open(delivery.previous_secret)));
    }
    return keys;
  }

  private open(sealed: string): string {
    let secret = this.opened.get(sealed);
    if (secret === undefined) {
      secret = this.deps.box.open(sealed);
      // Bounded: endpoints times two secrets each, and rotations replace entries.
      if (this.opened.size > 10_000) this.opened.clear();
      this.opened.set(sealed, secret);
    }
    return secret;
  }

  private async send(delivery: Claimed): Promise<void> {
    const { settings, resolver, metrics } = this.deps;
    let result: PostResult;
    try {
      // Checked again at every attempt, and the connection pinned to the address checked.
      const target = await resolveTarget(delivery.url, { allowPrivate: settings.allowPrivateUrls }, resolver());
      const body = cloudEventBody(delivery.event as Record<string, unknown>);
      const messageId = messageIdOf(delivery.id);
      const headers = webhookHeaders(this.keysOf(delivery), messageId, Math.floor(Date.now() / 1000), body);
      result = await postPinned(target, body, headers, {
        timeoutMs: settings.timeoutMs,
        bodyLimit: settings.responseBodyLimit,
      });
    } catch (error) {
      if (!(error instanceof RefusedUrl)) throw error;
      metrics.attempts.inc({ outcome: 'refused' });
      result = { status: null, body: '', latencyMs: 0, error: `refused: the URL ${error.message}` };
    }
    metrics.latency.observe(result.latencyMs / 1000);
    await this.record(delivery, result);
  }

  /** Records an attempt's outcome: delivered, retried later, or failed (the endpoint then disabled). */
  private async record(delivery: Claimed, result: PostResult): Promise<void> {
    const { prisma, clock, metrics, log } = this.deps;
    const now = clock.now();
    const attempts = delivery.attempts + 1;
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const error = ok ? null : (result.error ?? `HTTP ${result.status}`);
    const common = { code: result.status, body: result.body, latency: result.latencyMs, error };
    if (ok) {
      metrics.attempts.inc({ outcome: 'delivered' });
      await this.delivered.add({ id: delivery.id, code: result.status!, body: result.body, latency: result.latencyMs });
      return;
    }
    const gone = result.status === 410;
    const delay = gone ? null : retryDelayMs(attempts, this.deps.random);
    if (delay !== null) {
      metrics.attempts.inc({ outcome: 'retry' });
      await prisma.$executeRaw`
        UPDATE webhook_delivery SET attempts = ${attempts}, response_code = ${common.code}::int, response_body = ${common.body},
          latency_ms = ${common.latency}::int, last_error = ${common.error},
          next_attempt_at = ${new Date(now.getTime() + delay)}, lease_owner = NULL, lease_until = NULL
        WHERE id = ${delivery.id}::uuid AND lease_owner = ${this.instanceId}`;
      return;
    }
    metrics.attempts.inc({ outcome: 'failed' });
    const reason = gone
      ? 'the endpoint answered 410 Gone'
      : `every attempt of the retry schedule failed (last: ${common.error})`;
    const disabled = await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`
        UPDATE webhook_delivery SET status = 'FAILED', attempts = ${attempts}, response_code = ${common.code}::int,
          response_body = ${common.body}, latency_ms = ${common.latency}::int, last_error = ${common.error},
          next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL
        WHERE id = ${delivery.id}::uuid AND lease_owner = ${this.instanceId}`;
      return disableEndpoint(tx, delivery.endpoint_id, reason);
    });
    if (disabled) {
      // Its event row is committed: this process's feed readers and relay look now.
      outboxWritten();
      metrics.disabled.inc({ reason: gone ? 'gone' : 'exhausted' });
      log.warn({ endpoint: delivery.endpoint_id, reason }, 'webhook endpoint disabled');
    }
  }
}
