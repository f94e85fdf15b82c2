import pino, { type Logger } from 'pino';
import { traceLogFields } from '../tracing/context';
import { prettyDestination } from './prettyLines';

export type { Logger };

export interface LoggerOptions {
  /** The service name stamped on every line, e.g. `gateway` or `car`. */
  service: string;
  level: string;
  /** Human-readable lines for a developer's terminal instead of JSON: one line a record (see prettyLines.ts). */
  pretty: boolean;
  /** Where lines go (default stdout); tests capture them here. */
  destination?: pino.DestinationStream;
}

/**
 * One structured logger per process. Credentials are redacted at the logger so a
 * careless `log.info({ headers })` can never write them out. A line written
 * while a request is being served carries its `traceId` (and the active
 * `spanId`), read from the active trace context: no logger is passed around.
 */
export function createLogger({ service, level, pretty, destination }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    base: { service },
    mixin: traceLogFields,
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'headers.authorization',
        'req.headers.authorization',
        'headers.cookie',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
  };
  if (pretty) return pino(options, prettyDestination(destination));
  return destination ? pino(options, destination) : pino(options);
}
