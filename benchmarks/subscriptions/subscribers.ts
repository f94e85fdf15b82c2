/**
 * One client process of `npm run bench:subscriptions`: holds many subscribers to the gateway
 * over one transport and times each change at delivery. Started by run.ts with IPC; it takes
 * orders (`open`, `measure`, `report`, `close`) and answers each.
 *
 * Kept cheap on purpose, so that the client's own event loop does not inflate the latencies it
 * measures: SSE subscribers are plain node:http requests whose chunks are scanned, not parsed
 * as SSE; WebSocket subscribers speak graphql-transport-ws (the graphql-ws protocol) with `ws`
 * by hand, one socket each, and read the message text with a regular expression rather than a
 * JSON parse. Latencies go to a histogram of 1 ms buckets, sent back whole.
 */
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';

export type Transport = 'sse' | 'ws';

export type Order =
  | { kind: 'open'; transport: Transport; url: string; token: string; query: string; count: number }
  | { kind: 'measure' }
  | { kind: 'report' }
  | { kind: 'close' };

export type Answer =
  | { kind: 'opened'; open: number; failed: number; firstError?: string }
  | { kind: 'measuring' }
  | {
      kind: 'report';
      histogram: number[];
      delivered: number;
      errors: number;
      firstError?: string;
      /** This client's CPU while measuring, in % of one core, and its event loop's p99 delay: its own share of the latency. */
      cpuPercent: number;
      loopDelayP99Ms: number;
    }
  | { kind: 'closed' };

/** Buckets of 1 ms; the last one holds everything slower. */
const HISTOGRAM_MS = 30_000;
/** The car's `updatedAt` (the commit's time) in an event's text. */
const COMMITTED = /"updatedAt":"([^"]+)"/g;
/** Subscribers opened at once: enough to open 10,000 in seconds, few enough not to swamp the gateway's accept queue. */
const OPENING_AT_ONCE = 100;

const histogram = new Array<number>(HISTOGRAM_MS + 1).fill(0);
let measuring = false;
let delivered = 0;
let errors = 0;
let firstError: string | undefined;
let cpuAtStart = process.cpuUsage();
let measuredSince = Date.now();
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
const closers: (() => void)[] = [];
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

/** Every commit time in a piece of an event's text, timed now (only while measuring). */
function timeEvents(text: string): void {
  if (!measuring) return;
  const now = Date.now();
  for (const match of text.matchAll(COMMITTED)) {
    const latency = now - Date.parse(match[1]!);
    histogram[Math.max(0, Math.min(HISTOGRAM_MS, Math.round(latency)))]! += 1;
    delivered += 1;
  }
}

function noteError(what: string): void {
  errors += 1;
  firstError ??= what;
}

/** A graphql-sse (distinct connections) subscriber: a POST read as it streams. */
function openSse(url: string, token: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${token}`,
        'content-length': Buffer.byteLength(body),
      },
    });
    request.on('response', (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new Error(`HTTP ${response.statusCode}`));
      }
      response.setEncoding('utf8');
      // An event is one write of the gateway: a chunk holds whole events, but a large one may be split.
      let carry = '';
      response.on('data', (chunk: string) => {
        const text = carry + chunk;
        const end = text.lastIndexOf('\n\n');
        if (end < 0) {
          carry = text;
          return;
        }
        carry = text.slice(end + 2);
        const events = text.slice(0, end);
        if (events.includes('"errors"')) noteError(events.slice(0, 300));
        timeEvents(events);
      });
      response.on('end', () => measuring && noteError('an SSE stream ended'));
      response.on('error', () => undefined);
      closers.push(() => request.destroy());
      resolve();
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** A graphql-transport-ws subscriber: its own socket, one subscription. */
function openWs(url: string, token: string, query: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { perMessageDeflate: false });
    closers.push(() => socket.terminate());
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
    );
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (text.startsWith('{"type":"connection_ack"')) {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
        // Subscribed as far as the client can tell: the gateway admits it in the request path.
        return resolve();
      }
      if (text.includes('"type":"next"')) {
        if (text.includes('"errors"')) noteError(text.slice(0, 300));
        return timeEvents(text);
      }
      if (text.includes('"type":"error"') || text.includes('"type":"complete"')) noteError(text.slice(0, 300));
      if (text.includes('"type":"ping"')) socket.send('{"type":"pong"}');
    });
    socket.on('error', (error) => reject(error));
    socket.on('close', (code) => measuring && noteError(`a WebSocket closed (${code})`));
  });
}

async function open(order: Extract<Order, { kind: 'open' }>): Promise<Answer> {
  const body = JSON.stringify({ query: order.query });
  let next = 0;
  let failed = 0;
  let openError: string | undefined;
  await Promise.all(
    Array.from({ length: Math.min(OPENING_AT_ONCE, order.count) }, async () => {
      while (next < order.count) {
        next += 1;
        try {
          await (order.transport === 'sse'
            ? openSse(order.url, order.token, body)
            : openWs(order.url, order.token, order.query));
        } catch (error) {
          failed += 1;
          openError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  return { kind: 'opened', open: order.count - failed, failed, ...(openError ? { firstError: openError } : {}) };
}

function answer(message: Answer): void {
  process.send?.(message);
}

process.on('message', (order: Order) => {
  switch (order.kind) {
    case 'open':
      void open(order).then(answer);
      break;
    case 'measure':
      histogram.fill(0);
      delivered = 0;
      errors = 0;
      firstError = undefined;
      cpuAtStart = process.cpuUsage();
      measuredSince = Date.now();
      loopDelay.reset();
      loopDelay.enable();
      measuring = true;
      answer({ kind: 'measuring' });
      break;
    case 'report': {
      measuring = false;
      loopDelay.disable();
      const cpu = process.cpuUsage(cpuAtStart);
      const cpuPercent = ((cpu.user + cpu.system) / 1000 / Math.max(1, Date.now() - measuredSince)) * 100;
      answer({
        kind: 'report',
        histogram,
        delivered,
        errors,
        ...(firstError ? { firstError } : {}),
        cpuPercent,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      });
      break;
    }
    case 'close':
      measuring = false;
      for (const close of closers.splice(0)) close();
      answer({ kind: 'closed' });
      break;
  }
});
