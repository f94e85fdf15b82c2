import { existsSync } from 'node:fs';
import net from 'node:net';
import { connect as connectAmqp } from 'amqplib';
import pg from 'pg';
// Relative, not the package name: jest's globalSetup (preflight.ts) loads this without moduleNameMapper.
import { testConfig } from './config';

/** A service some tests need (jest.projects.js says which); 'database' is PostgreSQL unless TEST_BACKENDS=pglite. */
export type Service = 'database' | 'redis' | 'rabbitmq' | 'chromium';

/** How long a probe waits for an answer: long enough for a loaded machine, short enough to fail before any test. */
const PROBE_TIMEOUT_MS = 10_000;

/** Why a service cannot be used, and how to fix it; null when it answers. */
export type Problem = string | null;

const reason = (error: unknown) => (error instanceof Error ? error.message || error.name : String(error));
const redact = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

async function probePostgres(): Promise<Problem> {
  if (!testConfig.TEST_BACKENDS.includes('postgres')) return null;
  const url = testConfig.TEST_DATABASE_URL;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return (
      `PostgreSQL unreachable at ${redact(url)} (${reason(error)}).\n` +
      `    Start PostgreSQL there, or set TEST_DATABASE_URL to one (a role that may create and drop databases),\n` +
      `    or run on the embedded database only: TEST_BACKENDS=pglite`
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A Redis answers PING with +PONG (or -NOAUTH when it wants a password: it is there all the same). */
function pingRedis(url: URL): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    socket.setTimeout(PROBE_TIMEOUT_MS, () => socket.destroy(new Error(`no answer in ${PROBE_TIMEOUT_MS} ms`)));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (reply) => {
      socket.destroy();
      if (/^[+-]/.test(reply.toString())) resolve();
      else reject(new Error('what answers there is not Redis'));
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('connection closed without an answer')));
  });
}

async function probeRedis(): Promise<Problem> {
  const url = testConfig.TEST_REDIS_URL;
  try {
    await pingRedis(new URL(url));
    return null;
  } catch (error) {
    return `Redis unreachable at ${redact(url)} (${reason(error)}).\n    Start Redis there, or set TEST_REDIS_URL to one`;
  }
}

async function probeRabbitMq(): Promise<Problem> {
  const url = testConfig.TEST_AMQP_URL;
  try {
    const connection = await connectAmqp(url, { timeout: PROBE_TIMEOUT_MS });
    await connection.close();
    return null;
  } catch (error) {
    return `RabbitMQ unreachable at ${redact(url)} (${reason(error)}).\n    Start RabbitMQ there, or set TEST_AMQP_URL to one`;
  }
}

async function probeChromium(): Promise<Problem> {
  const browser = testConfig.TEST_CHROMIUM_PATH;
  if (existsSync(browser)) return null;
  return (
    `Chromium not found at ${browser}.\n` +
    `    Install Debian's: sudo apt-get install -y chromium (.ci/run does), or set TEST_CHROMIUM_PATH to another`
  );
}

const PROBES: Record<Service, () => Promise<Problem>> = {
  database: probePostgres,
  redis: probeRedis,
  rabbitmq: probeRabbitMq,
  chromium: probeChromium,
};

/** Checks the services all at once; the problems of those that do not answer, in the order asked. */
export async function unavailable(services: Iterable<Service>): Promise<string[]> {
  const problems = await Promise.all([...new Set(services)].map((service) => PROBES[service]()));
  return problems.filter((problem): problem is string => problem !== null);
}

/**
 * For a suite's beforeAll: stops it with "Redis unreachable at …" (or the like) when a service it
 * needs is not there, rather than letting the first assertion fail on a connection error. The
 * preflight already checks before a run; this covers a suite run with a service that went away.
 */
export async function requireServices(...services: Service[]): Promise<void> {
  const problems = await unavailable(services);
  if (problems.length > 0) throw new Error(problems.join('\n'));
}
