import type { CallerIdentity } from '@car-check/service-kit';
import { Refusal } from '../pipeline/refusal';
import {
  Subscription,
  type SubscriptionRequest,
  type SubscriptionServices,
  type SubscriptionSettings,
} from './subscription';

export interface SubscriptionLimits extends SubscriptionSettings {
  /** Live subscriptions one caller (user, service, or address when anonymous) may hold on this process. */
  perCaller: number;
  /** Live subscriptions this process holds, all callers together. */
  perProcess: number;
}

/**
 * The subscriptions this gateway process serves: admits new ones within the
 * per-caller and per-process limits (429 RESOURCE_EXHAUSTED past them), and
 * ends them all, each with its cursor, on a graceful shutdown.
 */
export class LiveSubscriptions {
  private readonly live = new Set<Subscription>();
  private readonly byCaller = new Map<string, number>();
  private closing = false;

  constructor(
    private readonly limits: SubscriptionLimits,
    private readonly services: SubscriptionServices,
  ) {}

  get size(): number {
    return this.live.size;
  }

  /** Starts a subscription for an admitted request, or refuses it (limits, shutdown). */
  open(request: SubscriptionRequest, address: string): Subscription {
    if (this.closing) {
      throw new Refusal(
        503,
        'UNAVAILABLE',
        'This instance is shutting down; retry (another instance answers).',
        {},
        {
          headers: { 'retry-after': '1' },
        },
      );
    }
    const caller = callerOf(request.context.caller, address);
    const held = this.byCaller.get(caller) ?? 0;
    if (held >= this.limits.perCaller) {
      throw new Refusal(
        429,
        'RESOURCE_EXHAUSTED',
        `This caller already holds ${held} subscriptions, the most allowed.`,
        {
          limit: this.limits.perCaller,
        },
      );
    }
    if (this.live.size >= this.limits.perProcess) {
      throw new Refusal(
        429,
        'RESOURCE_EXHAUSTED',
        'This gateway instance serves as many subscriptions as it may; retry later.',
        { limit: this.limits.perProcess },
        { headers: { 'retry-after': '5' } },
      );
    }
    this.byCaller.set(caller, held + 1);
    const subscription: Subscription = new Subscription(request, this.services, this.limits, () => {
      this.live.delete(subscription);
      const left = (this.byCaller.get(caller) ?? 1) - 1;
      if (left > 0) this.byCaller.set(caller, left);
      else this.byCaller.delete(caller);
    });
    this.live.add(subscription);
    return subscription.start();
  }

  /**
   * Graceful shutdown: refuses new subscriptions and ends each live one with
   * UNAVAILABLE and its cursor; resolves once each transport has written it
   * (or after `graceMs`, for a client that does not read).
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const ended = [...this.live].map((subscription) =>
      subscription.end(
        'UNAVAILABLE',
        'The gateway is shutting down; resume from the cursor (another instance answers).',
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(ended),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }
}

/** Who a subscription counts against: the signed-in user or service, else the client's address. */
function callerOf(caller: CallerIdentity, address: string): string {
  if (caller.userId) return `user:${caller.userId}`;
  if (caller.service) return `service:${caller.service}`;
  return `address:${address}`;
}
