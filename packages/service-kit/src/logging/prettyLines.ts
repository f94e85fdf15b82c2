import pino, { type DestinationStream } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

/**
 * pino-pretty's settings for a developer's terminal. singleLine: a record's fields follow
 * its message on the same line (only an error's stack takes more lines, which is what it is
 * for); `service` is the name in parentheses already; a step's `progress` fields
 * (packages/subgraph-kit/src/db/progress.ts) say in JSON what its message says in words.
 */
const PRETTY_OPTIONS: PrettyOptions = {
  colorize: true,
  singleLine: true,
  ignore: 'pid,hostname,service,progress',
  translateTime: 'SYS:HH:MM:ss.l',
};

/** The message of the per-request record (packages/service-kit/src/server/requestLogPlugin.ts). */
export const REQUEST_MESSAGE = 'request';

type LogRecord = Record<string, unknown>;

/** The request record's fields that its pretty line says in words, or leaves to JSON logs (the trace ids). */
const SUMMARIZED = [
  'method',
  'operationName',
  'status',
  'outcome',
  'errors',
  'durationMs',
  'requestId',
  'subgraphs',
  'traceId',
  'spanId',
];

function subgraphCallsText(calls: unknown): string {
  if (!Array.isArray(calls) || calls.length === 0) return '';
  const each = calls.map(
    (call: LogRecord) => `${String(call.subgraph)} ${String(call.durationMs)} ms ${String(call.outcome)}`,
  );
  return ` (${each.join(', ')})`;
}

/**
 * A request record as one readable message: `POST CarList 200 OK 12 ms, request 5f3c… (car 4 ms OK)`:
 * method, operation, HTTP status, outcome, duration and request id; at the gateway each subgraph call.
 */
export function requestSummary(record: LogRecord): string {
  const parts = [
    record.method,
    record.operationName ?? '(anonymous)',
    record.status,
    record.outcome,
    `${String(record.durationMs)} ms,`,
    `request ${String(record.requestId)}`,
  ].filter((part) => part !== undefined && part !== null);
  return `${REQUEST_MESSAGE} ${parts.join(' ')}${subgraphCallsText(record.subgraphs)}`;
}

/** A request record with its summary as the message and only what the summary leaves out (null ones dropped). */
function reshapeRequest(record: LogRecord): LogRecord {
  const rest = Object.entries(record).filter(([key, value]) => !SUMMARIZED.includes(key) && value !== null);
  return { ...Object.fromEntries(rest), msg: requestSummary(record) };
}

/**
 * Where a pretty logger writes: each JSON record from pino, pretty-printed on one line
 * (a request's record as its summary) into `sink`, stdout by default, synchronously so that
 * lines keep their order with the supervisor's. pino-pretty is a development dependency,
 * loaded only when pretty logs are asked for.
 */
export function prettyDestination(
  sink: DestinationStream = pino.destination({ dest: 1, sync: true }),
): DestinationStream {
  // Loaded lazily: only a developer's terminal (LOG_PRETTY=true) needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { prettyFactory } = require('pino-pretty') as typeof import('pino-pretty');
  const pretty = prettyFactory(PRETTY_OPTIONS);
  return {
    write(json: string) {
      const record = JSON.parse(json) as LogRecord;
      sink.write(pretty(record.msg === REQUEST_MESSAGE ? reshapeRequest(record) : record));
    },
  };
}
