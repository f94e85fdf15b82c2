import express from 'express';
import { listen } from '../http';
import { assignRequestId, clientRequestIdFrom } from '../requestId';

describe('assignRequestId', () => {
  it("always answers with the server's own id, unique per request, and keeps a well-formed client id apart", async () => {
    const app = express();
    app.use(assignRequestId);
    app.get('/', (_req, res) =>
      res.json({ requestId: res.locals.requestId, clientRequestId: res.locals.clientRequestId ?? null }),
    );
    const running = await listen(app, '127.0.0.1', 0);
    try {
      const get = async (headers: Record<string, string>) => {
        const response = await fetch(running.url, { headers });
        return {
          header: response.headers.get('x-request-id'),
          body: (await response.json()) as { requestId: string; clientRequestId: string | null },
        };
      };
      const first = await get({ 'x-request-id': 'INC-4711-from-admin' });
      const second = await get({ 'x-request-id': 'INC-4711-from-admin' });
      for (const answer of [first, second]) {
        expect(answer.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
        expect(answer.header).toBe(answer.body.requestId);
        expect(answer.body.clientRequestId).toBe('INC-4711-from-admin');
      }
      expect(first.body.requestId).not.toBe(second.body.requestId);
      expect((await get({})).body.clientRequestId).toBeNull();
    } finally {
      await running.close(0);
    }
  });

  it('drops a client id that is not printable ASCII of at most 128 characters', () => {
    expect(clientRequestIdFrom('ok-1')).toBe('ok-1');
    expect(clientRequestIdFrom(['first', 'second'])).toBe('first');
    for (const bad of [undefined, '', 'x'.repeat(129), 'has space', 'line\nbreak'])
      expect(clientRequestIdFrom(bad)).toBeUndefined();
  });
});
