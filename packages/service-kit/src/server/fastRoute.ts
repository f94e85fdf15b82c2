import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, Request, RequestHandler, Response } from 'express';
import { errorBody } from './graphqlHttp';

/** One path that `listen` serves straight to its handlers; every other request goes through Express. */
export interface FastRoute {
  /** The exact path, e.g. `/graphql` (a query string may follow; any other spelling goes through Express). */
  path: string;
  /**
   * What Express would run for that path, in order: the app-level middleware it passes first
   * (the request id) and the route's own handlers. The same functions stay registered with
   * Express, which serves the path's other spellings (`/graphql/`, `/GraphQL`).
   */
  handlers: RequestHandler[];
  /** Hears of a handler's failure (the client gets a 500 INTERNAL without its details). */
  onError: (error: unknown) => void;
}

const registered = new WeakMap<Express, FastRoute>();

/**
 * Has `listen` serve `route` straight to its handlers for this app (one route per app), so
 * that every server of the app, a test's as much as a deployment's, takes the same path.
 */
export function serveFirst(app: Express, route: FastRoute): void {
  registered.set(app, route);
}

/** The route `serveFirst` registered for the app, if any. */
export const fastRouteOf = (app: Express): FastRoute | undefined => registered.get(app);

/**
 * The path nearly every request takes, without Express's router: its walk (matching each
 * layer, wrapping each handler for promises) was 5-7 % of a gateway worker's CPU under the
 * community benchmark's small query. What Express does before a route's handlers is done
 * here as Express does it (its request and response prototypes, `res.locals`, the
 * circular references, `originalUrl`, `baseUrl`, `params`), so the handlers see no difference.
 *
 * A handler that fails (throws, rejects or calls `next(error)`) gets the project's own
 * 500 answer, never Express's error page; the handlers given here answer every request
 * themselves, so one that passes it on past the last is a failure too.
 *
 * Returns a function that serves a request and says true when it was on the path.
 */
export function fastRoute(app: Express, route: FastRoute): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { path, handlers, onError } = route;
  return (incoming, outgoing) => {
    const url = incoming.url ?? '';
    if (!url.startsWith(path) || (url.length > path.length && url[path.length] !== '?')) return false;
    const req = incoming as Request;
    const res = outgoing as Response;
    // Express's app.handle, then its router, before the first handler.
    if (app.enabled('x-powered-by')) res.setHeader('X-Powered-By', 'Express');
    req.res = res;
    res.req = req;
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
    res.locals ??= Object.create(null) as Response['locals'];
    req.originalUrl ??= url;
    req.baseUrl = '';
    req.params = {};

    let index = 0;
    const fail = (error: unknown) => {
      onError(error);
      if (res.headersSent) return void res.destroy();
      const body = JSON.stringify(
        errorBody('INTERNAL', 'Internal error.', {}, res.locals.requestId, res.locals.traceId),
      );
      res.statusCode = 500;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(body);
    };
    const next = (error?: unknown): void => {
      if (error !== undefined && error !== 'route' && error !== 'router') return fail(error);
      const handler = handlers[index++];
      if (!handler) return fail(new Error(`nothing answered ${path}`));
      try {
        const result = handler(req, res, next) as unknown;
        if (result instanceof Promise) result.catch((rejection: unknown) => next(rejection ?? new Error('rejected')));
      } catch (thrown) {
        next(thrown ?? new Error('thrown'));
      }
    };
    req.next = next;
    next();
    return true;
  };
}
