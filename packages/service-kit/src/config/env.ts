import { z } from 'zod';

/**
 * Thrown when the environment does not describe a runnable service. The message
 * names every offending variable so an operator can fix them all in one go.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /**
   * The error as one line for a terminal, e.g. `invalid configuration: DATABASE_URL: must
   * be a postgres:// or postgresql:// URL; GATEWAY_PORT: ...` (the message lists one
   * variable a line, for logs).
   */
  oneLine(): string {
    return this.message.replace(/^Invalid configuration:\n\s*/, 'invalid configuration: ').replace(/\n\s*/g, '; ');
  }
}

/** An error as one line for a terminal: a configuration error's {@link ConfigError.oneLine}, else its message. */
export function describeError(error: unknown): string {
  if (error instanceof ConfigError) return error.oneLine();
  return error instanceof Error ? error.message : String(error);
}

/** Sees each shape {@link readEnv} is given, before it is read. */
export type ConfigShapeObserver = (shape: z.ZodRawShape) => void;

let shapeObserver: ConfigShapeObserver | undefined;

/**
 * Lets `npm run docs:config` (scripts/docs-config.ts) list the variables a service reads from
 * the very schemas that validate them, so the configuration reference cannot drift from them.
 * Pass undefined to stop observing.
 */
export function observeConfigShapes(observer: ConfigShapeObserver | undefined): void {
  shapeObserver = observer;
}

/**
 * Reads and validates configuration from the environment, once, at start-up.
 *
 * Each key of `shape` is the environment variable's name, so error messages name
 * exactly what to set. Empty strings count as unset, which lets `FOO=` in a shell
 * fall back to the default instead of failing on an empty value.
 */
export function readEnv<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<S>> {
  shapeObserver?.(shape);
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    input[key] = value === undefined || value.trim() === '' ? undefined : value.trim();
  }
  const result = z.object(shape).safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const variable = issue.path.join('.') || '(environment)';
      return `  ${variable}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  return result.data;
}

/** A TCP port; 0 asks the OS for a free one (used by tests). */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);

/** An absolute http(s) URL. */
export const httpUrl = () => z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** A PostgreSQL connection URL. */
export const postgresUrl = () =>
  z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' });

/** Boolean flags written the way shells and .env files write them. */
const booleanText = () =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const flag = (fallback: boolean) => booleanText().default(fallback);

/** A flag whose default depends on other settings: undefined when unset. */
export const optionalFlag = () => booleanText().optional();

export const nodeEnv = () => z.enum(['development', 'production', 'test']).default('development');

export const logLevel = () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** A `redis://` or `rediss://` URL. */
export const redisUrl = () =>
  z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379' });

/** The interface a service listens on (HOST). */
export const host = () => z.string().default('127.0.0.1');

/** How long shutdown waits for in-flight requests by default (SHUTDOWN_GRACE_MS). */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** How long SIGTERM waits for in-flight requests before cutting them (SHUTDOWN_GRACE_MS). */
export const shutdownGraceMs = () => z.coerce.number().int().min(0).max(600_000).default(DEFAULT_SHUTDOWN_GRACE_MS);

/** The largest request body accepted (BODY_LIMIT), written as body-parser reads it: `1mb`, `512kb`, `100b`. */
export const bodyLimit = () =>
  z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must look like 1mb or 512kb')
    .default('1mb');

/** A duration in ms, 1 ms to 10 minutes. */
export const timeoutMs = () => z.coerce.number().int().min(1).max(600_000);

/** A positive count, with its default. */
export const positiveCount = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
