import { GraphQLError, type GraphQLErrorOptions } from 'graphql';

/**
 * The error vocabulary of the whole graph: gRPC's status codes, which the
 * services this graph replaces used and which clients already branch on.
 * Every error a service sends is built here so that code, number and retry
 * advice cannot disagree between services.
 */
export const STATUS = {
  CANCELLED: { grpcStatus: 1, retryable: false, meaning: 'The caller cancelled the request.' },
  UNKNOWN: { grpcStatus: 2, retryable: false, meaning: 'An error with no better class.' },
  INVALID_ARGUMENT: {
    grpcStatus: 3,
    retryable: false,
    meaning: 'The request is wrong whatever the system state: syntax, validation, bad input.',
  },
  DEADLINE_EXCEEDED: {
    grpcStatus: 4,
    retryable: true,
    meaning: 'The deadline expired before the operation completed.',
  },
  NOT_FOUND: { grpcStatus: 5, retryable: false, meaning: 'A requested entity does not exist.' },
  ALREADY_EXISTS: {
    grpcStatus: 6,
    retryable: false,
    meaning: 'A create collided with an existing entity (unique key).',
  },
  PERMISSION_DENIED: {
    grpcStatus: 7,
    retryable: false,
    meaning: 'The caller is known but not allowed to do this.',
  },
  RESOURCE_EXHAUSTED: {
    grpcStatus: 8,
    retryable: true,
    meaning: 'A quota or limit was hit: rate limit, query too deep or costly, body too large.',
  },
  FAILED_PRECONDITION: {
    grpcStatus: 9,
    retryable: false,
    meaning: 'The system is not in a state to do this; fix the state before retrying.',
  },
  ABORTED: {
    grpcStatus: 10,
    retryable: true,
    meaning: 'A concurrency conflict; re-read, then retry the write.',
  },
  OUT_OF_RANGE: {
    grpcStatus: 11,
    retryable: false,
    meaning: 'Past the valid range, e.g. a page size beyond the maximum.',
  },
  UNIMPLEMENTED: {
    grpcStatus: 12,
    retryable: false,
    meaning: 'The operation is not implemented or not enabled.',
  },
  INTERNAL: { grpcStatus: 13, retryable: false, meaning: 'An invariant broke: a bug. Details are logged, not sent.' },
  UNAVAILABLE: {
    grpcStatus: 14,
    retryable: true,
    meaning: 'A service is down or unreachable; retrying may help.',
  },
  DATA_LOSS: { grpcStatus: 15, retryable: false, meaning: 'Unrecoverable data loss or corruption.' },
  UNAUTHENTICATED: {
    grpcStatus: 16,
    retryable: false,
    meaning: 'No valid credentials: missing, expired, revoked or forged token.',
  },
} as const satisfies Record<string, { grpcStatus: number; retryable: boolean; meaning: string }>;

export type StatusCode = keyof typeof STATUS;

export const STATUS_CODES = Object.keys(STATUS) as StatusCode[];

/** Codes whose message could reveal internals; clients get a generic text instead. */
export const MASKED_CODES: ReadonlySet<StatusCode> = new Set(['INTERNAL', 'UNKNOWN']);

export interface GraphError extends GraphQLError {
  readonly extensions: { code: StatusCode; grpcStatus: number; [key: string]: unknown };
}

/**
 * Builds the GraphQLError for `code`. `details` lands in `extensions` (e.g. the
 * offending argument), so clients can act on it without parsing the message.
 */
export function graphError(
  code: StatusCode,
  message: string,
  details: Record<string, unknown> = {},
  options: Omit<GraphQLErrorOptions, 'extensions'> = {},
): GraphError {
  return new GraphQLError(message, {
    ...options,
    extensions: { ...details, code, grpcStatus: STATUS[code].grpcStatus },
  }) as GraphError;
}

/** Reads the catalog code of an error, if it has one. */
export function statusCodeOf(error: { extensions?: Record<string, unknown> }): StatusCode | undefined {
  const code = error.extensions?.code;
  return typeof code === 'string' && code in STATUS ? (code as StatusCode) : undefined;
}
