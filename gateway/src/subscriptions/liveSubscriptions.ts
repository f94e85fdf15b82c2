import type { CallerIdentity } from '@car-check/service-kit';
import { Refusal } from '../pipeline/refusal';
import { SubscriptionFeed } from './feed';
import { sharingKey } from './sharingKey';
import {
  Subscription,
  type SubscriptionRequest,
  type SubscriptionServices,
  type SubscriptionSettings,
} from './subscription';
import { TokenRechecks } from './tokenRechecks';

export interface SubscriptionLimits extends SubscriptionSettings {
  /** Live subscriptions one caller (user, service, or address when anonymous) may hold on this process. */
  perCaller: number;
  /** Live subscriptions this process holds, all callers together. */
  perProcess: number;
}

/**
 * The subscriptions this gateway process serves: admits new ones within the
 * per-caller and per-process limits (429 RESOURCE_EXHAUSTED past them), lets
 * identical ones share one feed (sharingKey.ts: one upstream stream and one
 * plan execution per event for all of them), checks their tokens once per
 * distinct token (tokenRechecks.ts), and ends them all, each with its cursor,
 * on a graceful shutdown.
 */
export class LiveSubscriptions {
  private readonly live = new Set<Subscription>();
  private readonly byCaller = new Map<string, number>();
  /** The feeds identical subscriptions share, by sharing key (a feed of its own is not listed). */
  private readonly shared = new Map<string, SubscriptionFeed>();
  private feeds = 0;
  private readonly tokens: TokenRechecks;
  private closing = false;

  constructor(
    private readonly limits: SubscriptionLimits,
    private readonly services: SubscriptionServices,
  ) {
    this.tokens = new TokenRechecks(services.verifier, limits.authRecheckMs, services.log);
  }

  get size(): number {
    return this.live.size;
  }

  /** Feeds running: each holds one stream from a subgraph, however many subscriptions it serves. */
  get upstreams(): number {
    return this.feeds;
  }

  /** Distinct tokens whose live subscriptions are checked again every `authRecheckMs`. */
  get watchedTokens(): number {
    return this.tokens.size;
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
    const { requestId, traceId } = request.context;
    const { token } = request;
    const feed = this.feedFor(request);
    const subscription: Subscription = new Subscription(
      { requestId, ...(traceId ? { traceId } : {}) },
      request.lastEventId,
      this.limits,
      this.services.log,
      () => {
        this.live.delete(subscription);
        const left = (this.byCaller.get(caller) ?? 1) - 1;
        if (left > 0) this.byCaller.set(caller, left);
        else this.byCaller.delete(caller);
        if (token !== undefined) this.tokens.unwatch(token, subscription);
        feed.leave(subscription);
      },
    );
    this.live.add(subscription);
    if (token !== undefined) {
      this.tokens.watch(token, subscription, request.context.caller.clientIp, request.context.traceContext);
    }
    feed.join(subscription);
    // Last: a feed that cannot start ends its member at once, which then leaves everything above.
    feed.start();
    return subscription;
  }

  /** The running feed an identical subscription opened, or a new one (started once its first member joined). */
  private feedFor(request: SubscriptionRequest): SubscriptionFeed {
    const served = this.services.served();
    const key = served ? sharingKey(request, served.schema, this.services.perCallerTypes()) : null;
    const running = key === null ? undefined : this.shared.get(key);
    if (running) return running;
    this.feeds += 1;
    const feed: SubscriptionFeed = new SubscriptionFeed(request, this.services, this.limits, () => {
      this.feeds -= 1;
      if (key !== null && this.shared.get(key) === feed) this.shared.delete(key);
    });
    if (key !== null) this.shared.set(key, feed);
    return feed;
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
