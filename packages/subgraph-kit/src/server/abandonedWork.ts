import type { ApolloServerPlugin } from '@apollo/server';
import type { Response } from 'express';
import { graphError } from '@car-check/service-kit';

/**
 * A signal that fires when nobody wants the answer any more: the caller's
 * deadline (set by the gateway, signed with the request) has passed, or the
 * caller hung up. Its reason is the error to report.
 */
export function abandonmentSignal(res: Response, deadline: number | null, now = Date.now()): AbortSignal {
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished)
      controller.abort(graphError('CANCELLED', 'The caller went away before the answer was ready.'));
  };
  res.once('close', onClose);
  if (deadline !== null) {
    const timer = setTimeout(
      () =>
        controller.abort(graphError('DEADLINE_EXCEEDED', 'The caller’s deadline passed before the answer was ready.')),
      Math.max(0, deadline - now),
    );
    timer.unref();
    res.once('close', () => clearTimeout(timer));
  }
  return controller.signal;
}

/**
 * Stops resolving fields once the request is abandoned: every field not yet
 * started fails at once with the signal's reason, so a request the gateway
 * gave up on cannot keep this service busy resolving thousands of fields.
 */
export function abandonedWorkPlugin<Ctx extends { signal: AbortSignal }>(): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async executionDidStart() {
          return {
            willResolveField({ contextValue }) {
              if (contextValue.signal.aborted) throw contextValue.signal.reason;
            },
          };
        },
      };
    },
  };
}
