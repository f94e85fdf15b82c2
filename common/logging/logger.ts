import pino, { type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** The service name stamped on every line, e.g. `gateway` or `car`. */
  service: string;
  level: string;
  /** Human-readable lines for a developer's terminal instead of JSON. */
  pretty: boolean;
  /** Where JSON lines go (default stdout); tests capture them here. */
  destination?: pino.DestinationStream;
}

/**
 * One structured logger per process. Credentials are redacted at the logger so a
 * careless `log.info({ headers })` can never write them out.
 */
export function createLogger({ service, level, pretty, destination }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    base: { service },
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
    transport:
      pretty && !destination
        ? { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' } }
        : undefined,
  };
  return destination ? pino(options, destination) : pino(options);
}
