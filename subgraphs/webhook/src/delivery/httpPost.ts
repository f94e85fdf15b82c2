import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Target } from './resolveTarget';
import type { WebhookHeaders } from './signing';

/**
 * Kept-alive connections, one pool per endpoint host and checked address: attempts to one
 * endpoint reuse connections (no TCP and TLS set-up per event), and a pool is only ever
 * connected to the address it is named after.
 */
const agents = new Map<string, http.Agent>();
const MAX_POOLS = 1_000;

function agentFor(target: Target): http.Agent {
  const key = `${target.url.protocol}//${target.url.host}@${target.address}`;
  let agent = agents.get(key);
  if (!agent) {
    if (agents.size >= MAX_POOLS) {
      for (const old of agents.values()) old.destroy();
      agents.clear();
    }
    const options = { keepAlive: true, maxSockets: 100, maxFreeSockets: 16, timeout: 60_000 };
    agent = target.url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
    agents.set(key, agent);
  }
  return agent;
}

/** What one attempt got: a status (any, redirects included: they are never followed) or an error. */
export interface PostResult {
  status: number | null;
  /** The start of the response body, at most the limit's bytes. */
  body: string;
  latencyMs: number;
  error: string | null;
}

/**
 * POSTs a body to a checked target. The connection goes to `target.address` only (the
 * lookup is pinned: the host is not resolved again), TLS still checks the certificate
 * against the host name, connections are kept alive per endpoint and address, redirects are answers like any other (not followed), the whole
 * attempt is bounded by `timeoutMs`, and at most `bodyLimit` bytes of the answer are read.
 */
export function postPinned(
  target: Target,
  body: string,
  headers: WebhookHeaders,
  { timeoutMs, bodyLimit }: { timeoutMs: number; bodyLimit: number },
): Promise<PostResult> {
  const startedAt = performance.now();
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const client = target.url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: Omit<PostResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, latencyMs: Math.round(performance.now() - startedAt) });
    };
    const request = client.request(
      target.url,
      {
        method: 'POST',
        lookup: pinned,
        agent: agentFor(target),
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'car-check-webhooks/1',
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < bodyLimit) chunks.push(chunk.subarray(0, bodyLimit - size));
          size += chunk.length;
          // Enough is kept: stop reading a large answer rather than wait for all of it.
          if (size >= bodyLimit) response.destroy();
        });
        const finish = () =>
          done({ status: response.statusCode ?? null, body: Buffer.concat(chunks).toString('utf8'), error: null });
        response.on('end', finish);
        response.on('close', finish);
        response.on('error', finish);
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      done({ status: null, body: '', error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    request.on('error', (error) => done({ status: null, body: '', error: error.message }));
    request.end(body);
  });
}
