import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Serves requests for exactly `path` with `handlers`, in order, ahead of the
 * rest of the app; any other request goes on down the app as before.
 *
 * Express finds a route by trying each layer of its stack in turn (health,
 * readiness, metrics, the dev pages, ...): on the graph's one hot route that
 * walk was a measurable part of the gateway's time per request (docs/performance.md).
 * The handlers are the very ones the app mounts at `path`, run as Express would
 * run them: each calls the next with `next()`, and an error (thrown, or a
 * rejected promise) goes to Express's error handling with `next(error)`. Paths
 * that Express would also match (`/graphql/`, another case) are left to it.
 */
export function servedFirst(path: string, handlers: readonly RequestHandler[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path !== path) return next();
    const run = (index: number): void => {
      const handler = handlers[index];
      // The last handler answers (handleGraphQL always does); a handler that passes on goes down the app.
      if (!handler) return next();
      try {
        const returned = handler(req, res, (error?: unknown) =>
          error === undefined ? run(index + 1) : next(error),
        ) as unknown;
        if (isThenable(returned))
          returned.then(undefined, (error: unknown) => next(error ?? new Error('Rejected promise')));
      } catch (error) {
        next(error);
      }
    };
    run(0);
  };
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';
