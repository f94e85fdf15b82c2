import type { Context } from '@opentelemetry/api';
import type { Logger } from '@car-check/service-kit';
import { TokenRejected, type TokenVerifier } from '../auth/tokenVerifier';

/** What a recheck ends: a subscription held with the token. */
export interface TokenHolder {
  fail(code: 'UNAUTHENTICATED', message: string): void;
}

/** The subscriptions held with one token, and the one timer that checks it for all of them. */
interface Watched {
  holders: Set<TokenHolder>;
  timer: NodeJS.Timeout;
  clientIp: string | null;
  traceContext?: Context;
  checking: boolean;
}

/**
 * Checks the tokens of live subscriptions again every `periodMs` (revocation,
 * expiry, a deactivated user): once per distinct token and period, however
 * many subscriptions hold it (a user's tabs, a service's thousands of
 * streams), rather than once per subscription. A token known bad ends every
 * subscription held with it (UNAUTHENTICATED); a user service that cannot
 * answer now is asked again at the next period.
 */
export class TokenRechecks {
  private readonly tokens = new Map<string, Watched>();

  constructor(
    private readonly verifier: Pick<TokenVerifier, 'verify'>,
    private readonly periodMs: number,
    private readonly log: Logger,
  ) {}

  /** Distinct tokens being checked. */
  get size(): number {
    return this.tokens.size;
  }

  watch(token: string, holder: TokenHolder, clientIp: string | null, traceContext?: Context): void {
    const watched = this.tokens.get(token);
    if (watched) {
      watched.holders.add(holder);
      return;
    }
    const timer = setInterval(() => void this.check(token), this.periodMs);
    timer.unref();
    this.tokens.set(token, { holders: new Set([holder]), timer, clientIp, traceContext, checking: false });
  }

  unwatch(token: string, holder: TokenHolder): void {
    const watched = this.tokens.get(token);
    if (!watched) return;
    watched.holders.delete(holder);
    if (watched.holders.size === 0) {
      clearInterval(watched.timer);
      this.tokens.delete(token);
    }
  }

  private async check(token: string): Promise<void> {
    const watched = this.tokens.get(token);
    // A check still waiting for the user service is not doubled by the next period's.
    if (!watched || watched.checking) return;
    watched.checking = true;
    try {
      await this.verifier.verify(token, watched.clientIp, watched.traceContext);
    } catch (error) {
      if (error instanceof TokenRejected) {
        this.log.info({ subscriptions: watched.holders.size }, 'token of live subscriptions rejected');
        for (const holder of [...watched.holders]) {
          holder.fail(
            'UNAUTHENTICATED',
            'The access token is invalid, expired or revoked; sign in and resume from the cursor.',
          );
        }
      }
    } finally {
      watched.checking = false;
    }
  }
}
