import type { AddressInfo } from 'node:net';
import express, { type Express, type RequestHandler } from 'express';
import { servedFirst } from '../graphqlFirst';

/** One POST or GET to `app`, served on a free loopback port for the call. */
async function send(app: Express, method: 'GET' | 'POST', path: string) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      text,
      body: response.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as unknown) : undefined,
    };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** An app as server.ts builds it: the hot route first, the same handlers mounted at their usual place too. */
function app(handlers: RequestHandler[]) {
  const seen: string[] = [];
  const app = express();
  app.use(servedFirst('/graphql', handlers));
  app.use((req, _res, next) => {
    seen.push(`stack ${req.path}`);
    next();
  });
  app.all('/graphql', ...handlers);
  app.use((_req, res) => void res.status(404).send('not found'));
  app.use(
    ((error, _req, res, _next) =>
      void res.status(500).send(`express: ${(error as Error).message}`)) as express.ErrorRequestHandler,
  );
  return { app, seen };
}

const mark: RequestHandler = (_req, res, next) => {
  res.setHeader('x-mark', 'yes');
  next();
};
const answer: RequestHandler = (req, res) => void res.json({ path: req.path, mark: res.getHeader('x-mark') });

describe('servedFirst', () => {
  it('runs the handlers in order for exactly the path, and nothing of the stack', async () => {
    const { app: server, seen } = app([mark, answer]);
    const response = await send(server, 'POST', '/graphql?x=1');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ path: '/graphql', mark: 'yes' });
    expect(seen).toEqual([]);
  });

  it('leaves every other path, and what only Express matches (/graphql/), to the app', async () => {
    const { app: server, seen } = app([mark, answer]);
    expect((await send(server, 'GET', '/other')).status).toBe(404);
    const trailing = await send(server, 'POST', '/graphql/');
    expect(trailing.body).toEqual({ path: '/graphql/', mark: 'yes' });
    expect(seen).toEqual(['stack /other', 'stack /graphql/']);
  });

  it("passes a thrown error, a rejected promise and next(error) to Express's error handling", async () => {
    const thrown: RequestHandler = () => {
      throw new Error('thrown');
    };
    const rejected: RequestHandler = async () => {
      throw new Error('rejected');
    };
    const passed: RequestHandler = (_req, _res, next) => next(new Error('passed'));
    for (const [handler, message] of [
      [thrown, 'thrown'],
      [rejected, 'rejected'],
      [passed, 'passed'],
    ] as const) {
      const response = await send(app([mark, handler]).app, 'POST', '/graphql');
      expect([response.status, response.text]).toEqual([500, `express: ${message}`]);
    }
  });
});
