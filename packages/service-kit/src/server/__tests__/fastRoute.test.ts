import express, { type RequestHandler } from 'express';
import { assignRequestId, REQUEST_ID_HEADER } from '../requestId';
import { serveFirst } from '../fastRoute';
import { listen, type RunningServer } from '../http';

/** An app whose /graphql route says who served it and what Express gave its handlers. */
function appWith(handler: RequestHandler, errors: unknown[] = []) {
  const app = express();
  app.disable('x-powered-by');
  app.use(assignRequestId);
  const route: RequestHandler[] = [
    (req, res, next) => {
      res.locals.seen = { path: req.path, query: req.query, originalUrl: req.originalUrl, host: req.get('host') };
      next();
    },
    handler,
  ];
  app.all('/graphql', ...route);
  app.use((_req, res) => res.status(404).json({ notFound: true }));
  serveFirst(app, { path: '/graphql', handlers: [assignRequestId, ...route], onError: (error) => errors.push(error) });
  return app;
}

describe('the one route served without Express’s router', () => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.close(100);
    running = undefined;
  });

  const serve = async (app: express.Express) => {
    running = await listen(app, '127.0.0.1', 0);
    return running.url;
  };

  it('gives its handlers what Express would: its request and response helpers, locals, the query', async () => {
    const url = await serve(appWith((_req, res) => res.status(201).json({ seen: res.locals.seen })));
    for (const path of ['/graphql?query=%7B__typename%7D', '/graphql/?query=%7B__typename%7D']) {
      const response = await fetch(`${url}${path}`);
      expect([path, response.status, response.headers.get(REQUEST_ID_HEADER)]).toEqual([path, 201, expect.any(String)]);
      expect(await response.json()).toEqual({
        seen: {
          path: path.split('?')[0],
          query: { query: '{__typename}' },
          originalUrl: path,
          host: new URL(url).host,
        },
      });
    }
  });

  it('leaves every other path to Express', async () => {
    const url = await serve(appWith((_req, res) => res.json({ served: true })));
    for (const path of ['/graphqlx', '/other', '/']) {
      const response = await fetch(`${url}${path}`);
      expect([path, response.status, await response.json()]).toEqual([path, 404, { notFound: true }]);
    }
  });

  it.each([
    [
      'throws',
      (() => {
        throw new Error('secret detail');
      }) as RequestHandler,
    ],
    [
      'rejects',
      (async () => {
        await Promise.resolve();
        throw new Error('secret detail');
      }) as RequestHandler,
    ],
    ['passes an error on', ((_req, _res, next) => next(new Error('secret detail'))) as RequestHandler],
    ['passes the request on past the last handler', ((_req, _res, next) => next()) as RequestHandler],
  ])('a handler that %s: a 500 INTERNAL in the project’s shape, the error only in the log', async (_, handler) => {
    const errors: unknown[] = [];
    const url = await serve(appWith(handler, errors));
    const response = await fetch(`${url}/graphql`, { method: 'POST' });
    const requestId = response.headers.get(REQUEST_ID_HEADER);
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(text).not.toContain('secret detail');
    expect(JSON.parse(text)).toEqual({
      errors: [{ message: 'Internal error.', extensions: expect.objectContaining({ code: 'INTERNAL', requestId }) }],
    });
    expect(errors).toHaveLength(1);
  });
});
