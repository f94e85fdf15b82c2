/**
 * A small closed-loop HTTP load generator for `npm run bench:graph`: N
 * keep-alive connections, each sending POST requests back to back for a
 * fixed time, every response read in full and checked, latencies recorded
 * in a log-linear histogram. No dependency beyond node:http.
 */
import http from 'node:http';

/**
 * Latencies in microseconds: exact below 1 ms, then buckets 0.1 % wide
 * (so a percentile is off by at most 0.1 %), up to 120 s. Sum, min and max
 * are kept exactly.
 */
export class Histogram {
  private static readonly LINEAR = 1_000;
  private static readonly STEP = Math.log(1.001);
  private static readonly MAX_US = 120_000_000;
  private readonly counts: Float64Array;
  count = 0;
  sumUs = 0;
  minUs = Number.POSITIVE_INFINITY;
  maxUs = 0;

  constructor() {
    this.counts = new Float64Array(Histogram.indexOf(Histogram.MAX_US) + 1);
  }

  private static indexOf(us: number): number {
    if (us < Histogram.LINEAR) return Math.max(0, Math.floor(us));
    return Histogram.LINEAR + Math.floor(Math.log(us / Histogram.LINEAR) / Histogram.STEP);
  }

  /** The value a bucket stands for (its middle). */
  private static valueOf(index: number): number {
    if (index < Histogram.LINEAR) return index + 0.5;
    const low = Histogram.LINEAR * Math.exp((index - Histogram.LINEAR) * Histogram.STEP);
    return low * (1 + (Math.exp(Histogram.STEP) - 1) / 2);
  }

  record(us: number): void {
    const value = Math.min(Math.max(us, 0), Histogram.MAX_US);
    this.counts[Histogram.indexOf(value)]! += 1;
    this.count += 1;
    this.sumUs += value;
    if (value < this.minUs) this.minUs = value;
    if (value > this.maxUs) this.maxUs = value;
  }

  /** The q-quantile (0..1) in microseconds; NaN when empty. */
  quantileUs(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(Math.max(Histogram.valueOf(i), this.minUs), this.maxUs);
    }
    return this.maxUs;
  }

  meanUs(): number {
    return this.count === 0 ? Number.NaN : this.sumUs / this.count;
  }
}

export interface OutgoingRequest {
  headers: Record<string, string>;
  body: string;
}

/** Why a response does not count as a success: null when it does. */
export type Check = (status: number, body: string, connection: number) => string | null;

export interface LoadOptions {
  /** Where to POST (must be http). */
  url: string;
  connections: number;
  durationMs: number;
  /** Builds request number `seq` (global, 0-based) for connection `connection`; called right before sending (signing is async). */
  request: (connection: number, seq: number) => OutgoingRequest | Promise<OutgoingRequest>;
  check: Check;
  /** A request not answered in this time is abandoned and counted as an error. */
  requestTimeoutMs?: number;
  /** Stops the run early (Ctrl-C). */
  signal?: AbortSignal;
}

export interface LoadResult {
  connections: number;
  durationMs: number;
  /** Checked, successful responses. */
  ok: number;
  errors: number;
  /** Errors by kind, e.g. `HTTP 401`, `GraphQL UNAUTHENTICATED`, `shape`, `ECONNRESET`. */
  errorKinds: Record<string, number>;
  /** Successful responses per second of the run. */
  rps: number;
  /** Latencies of the successful responses, in milliseconds. */
  latencyMs: { p50: number; p90: number; p99: number; mean: number; min: number; max: number };
  /** The first few error details, to see what went wrong. */
  samples: string[];
}

/** Runs the load and resolves once every connection has had its last answer. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  if (url.protocol !== 'http:') throw new Error(`only http is supported: ${options.url}`);
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: options.connections,
    maxFreeSockets: options.connections,
  });
  const histogram = new Histogram();
  const errorKinds: Record<string, number> = {};
  const samples: string[] = [];
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  let seq = 0;
  let ok = 0;
  let errors = 0;
  const fail = (kind: string, detail: string) => {
    errors += 1;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    if (samples.length < 5) samples.push(`${kind}: ${detail.slice(0, 300)}`);
  };

  const send = (outgoing: OutgoingRequest) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: { ...outgoing.headers, 'content-length': String(Buffer.byteLength(outgoing.body)) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error('ETIMEDOUT')));
      req.on('error', reject);
      req.end(outgoing.body);
    });

  const started = performance.now();
  const end = started + options.durationMs;
  let lastAnswer = started;
  const connection = async (index: number) => {
    while (performance.now() < end && !options.signal?.aborted) {
      const outgoing = await options.request(index, seq++);
      const begin = performance.now();
      try {
        const { status, body } = await send(outgoing);
        const took = performance.now() - begin;
        lastAnswer = Math.max(lastAnswer, begin + took);
        const problem = options.check(status, body, index);
        if (problem === null) {
          ok += 1;
          histogram.record(took * 1000);
        } else {
          fail(problem, body);
        }
      } catch (error) {
        lastAnswer = Math.max(lastAnswer, performance.now());
        const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
        fail(code, error instanceof Error ? error.message : String(error));
        // A refused connection would otherwise spin: give the server a moment.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.connections }, (_, index) => connection(index)));
  } finally {
    agent.destroy();
  }
  const durationMs = Math.max(lastAnswer, end) - started;
  const ms = (us: number) => us / 1000;
  return {
    connections: options.connections,
    durationMs,
    ok,
    errors,
    errorKinds,
    rps: ok / (durationMs / 1000),
    latencyMs: {
      p50: ms(histogram.quantileUs(0.5)),
      p90: ms(histogram.quantileUs(0.9)),
      p99: ms(histogram.quantileUs(0.99)),
      mean: ms(histogram.meanUs()),
      min: ms(histogram.count ? histogram.minUs : Number.NaN),
      max: ms(histogram.count ? histogram.maxUs : Number.NaN),
    },
    samples,
  };
}

/**
 * A check for GraphQL over HTTP: status 200, a JSON body, no `errors`, and
 * `data` accepted by `shape` (which returns what is wrong, or null).
 */
export function graphqlCheck(shape: (data: unknown) => string | null): Check {
  return (status, body) => {
    let json: { data?: unknown; errors?: { extensions?: { code?: unknown } }[] };
    try {
      json = JSON.parse(body) as typeof json;
    } catch {
      return `HTTP ${status} not JSON`;
    }
    if (Array.isArray(json.errors) && json.errors.length > 0)
      return `GraphQL ${String(json.errors[0]?.extensions?.code ?? 'error')}`;
    if (status !== 200) return `HTTP ${status}`;
    const wrong = shape(json.data);
    return wrong === null ? null : 'shape';
  };
}
