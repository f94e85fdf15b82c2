import http from 'node:http';
import net from 'node:net';
import express, { type Express } from 'express';
import { waitFor } from '@car-check/test-support/waitFor';
import { mountHealth } from '../health';
import { listen, type RunningServer } from '../http';

/** An app whose `/slow` answers only when the test says so. */
function slowApp(): { app: Express; started: () => number; release: () => void } {
  const app = express();
  let started = 0;
  const waiting: (() => void)[] = [];
  app.post('/slow', (req, res) => {
    req.resume();
    req.on('end', () => {
      started += 1;
      waiting.push(() => res.json({ answered: true }));
    });
  });
  mountHealth(app, 'test', async () => ({ ready: true, dependencies: {} }));
  return { app, started: () => started, release: () => waiting.splice(0).forEach((answer) => answer()) };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, path: string, agent: http.Agent, method = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, url), { method, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('listen: drain on close', () => {
  let running: RunningServer;
  let agent: http.Agent;
  afterEach(async () => {
    agent?.destroy();
    await running?.close(0);
  });

  it('refuses new requests at once with a coded 503, answers those in flight with Connection: close, then stops', async () => {
    const { app, started, release } = slowApp();
    running = await listen(app, '127.0.0.1', 0);
    agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const inFlight = [request(running.url, '/slow', agent), request(running.url, '/slow', agent)];
    await waitFor(() => started() === 2, 10_000, 'both requests to be in flight');

    let closed = false;
    const closing = running.close(60_000).then(() => (closed = true));

    // A new request, on a fresh connection: refused now, while the others still wait.
    const refused = await request(running.url, '/slow', new http.Agent({ keepAlive: false }));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers.connection).toBe('close');
    expect(refused.headers['x-request-id']).toEqual(expect.any(String));
    expect(JSON.parse(refused.body)).toEqual({
      errors: [
        { message: expect.any(String), extensions: expect.objectContaining({ code: 'UNAVAILABLE', grpcStatus: 14 }) },
      ],
    });
    // Probes still reach the app: alive, not ready.
    const ready = await request(running.url, '/ready', new http.Agent({ keepAlive: false }), 'GET');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ service: 'test', status: 'not ready' });
    expect(closed).toBe(false);

    release();
    const answers = await Promise.all(inFlight);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ answered: true });
      // The keep-alive connection is closed after this answer: the next request goes elsewhere.
      expect(answer.headers.connection).toBe('close');
    }
    await closing;
    expect(running.server.listening).toBe(false);
  });

  it('closes at once when nothing is in flight, idle keep-alive connections included', async () => {
    const { app } = slowApp();
    running = await listen(app, '127.0.0.1', 0);
    agent = new http.Agent({ keepAlive: true });
    expect((await request(running.url, '/health', agent, 'GET')).status).toBe(200);
    await running.close(60_000);
    expect(running.server.listening).toBe(false);
  });

  it('cuts what is still in flight after the grace period', async () => {
    const { app, started } = slowApp();
    running = await listen(app, '127.0.0.1', 0);
    agent = new http.Agent({ keepAlive: true });
    const cut = request(running.url, '/slow', agent).then(
      () => 'answered',
      () => 'cut',
    );
    await waitFor(() => started() === 1, 10_000, 'the request to be in flight');
    await running.close(50);
    expect(await cut).toBe('cut');
  });
});

describe('listen: half-closed connections', () => {
  it('still notices a client that closed its socket entirely: the response closes unanswered', async () => {
    const app = express();
    let closedUnanswered = false;
    app.post('/slow', (req, res) => {
      req.resume();
      res.once('close', () => (closedUnanswered = !res.writableFinished));
    });
    const running = await listen(app, '127.0.0.1', 0);
    try {
      const { port } = new URL(running.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('POST /slow HTTP/1.1\r\nhost: test\r\ncontent-length: 2\r\n\r\n{}');
      await waitFor(
        () => running.server.listenerCount('request') > 0 && socket.bytesWritten > 0,
        5_000,
        'the request to be sent',
      );
      // Gone, not half-closed: the server learns it when it next writes (its interim 102 Processing).
      socket.destroy();
      await waitFor(() => closedUnanswered, 30_000, 'the server to notice the client is gone');
    } finally {
      await running.close(0);
    }
  });

  it('answers a client that half-closes its socket once its request is sent', async () => {
    const app = express();
    let committed = 0;
    app.post('/write', (req, res) => {
      req.resume();
      // The work takes a while: the client's FIN arrives before the answer is ready.
      req.on('end', () =>
        setTimeout(() => {
          committed += 1;
          res.json({ committed });
        }, 50),
      );
    });
    const running = await listen(app, '127.0.0.1', 0);
    try {
      const { port } = new URL(running.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      const ended = new Promise<void>((resolve, reject) => {
        socket.on('end', resolve);
        socket.on('error', reject);
      });
      const body = '{}';
      socket.end(
        `POST /write HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
      await ended;
      expect(committed).toBe(1);
      // The answer, after the interim `102 Processing` that checks the client is still there.
      expect(received).toMatch(/^(HTTP\/1\.1 102 Processing\r\n\r\n)*HTTP\/1\.1 200 OK\r\n/);
      expect(received).toContain('{"committed":1}');
    } finally {
      await running.close(0);
    }
  });
});
