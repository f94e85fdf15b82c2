import { GraphQLError, type GraphQLErrorOptions } from 'graphql';

/** One entry of the catalog: a gRPC status as this graph uses it. */
export interface StatusDefinition {
  /** gRPC's number for the code, sent as `extensions.grpcStatus`. */
  grpcStatus: number;
  /** Whether the same request may succeed if retried later, unchanged. */
  retryable: boolean;
  /** gRPC's meaning, in one line. */
  meaning: string;
  /** When this graph sends it (rendered into docs/errors.md). */
  usedFor: string;
}

/**
 * The error vocabulary of the whole graph: gRPC's status codes, which the
 * services this graph replaces used and which clients already branch on.
 * Every error a service sends is built from here, so that code, number and
 * retry advice cannot disagree between services or with the docs.
 */
export const STATUS = {
  OK: {
    grpcStatus: 0,
    retryable: false,
    meaning: 'Success.',
    usedFor: 'Never sent as an error: a field that succeeded simply has its data.',
  },
  CANCELLED: {
    grpcStatus: 1,
    retryable: false,
    meaning: 'The caller cancelled the request.',
    usedFor:
      'The client disconnected before the answer was ready: in-flight subgraph calls are aborted and the event is logged with this code (the client is gone and never sees it).',
  },
  UNKNOWN: {
    grpcStatus: 2,
    retryable: false,
    meaning: 'An error with no better class.',
    usedFor: 'Something that is not an error object was thrown. Masked like INTERNAL.',
  },
  INVALID_ARGUMENT: {
    grpcStatus: 3,
    retryable: false,
    meaning: 'The request is wrong whatever the system state: syntax, validation, bad input.',
    usedFor:
      'A body that is not UTF-8 JSON, GraphQL syntax errors, a malformed or mismatched persisted-query hash or version, a cross-site GET without a preflight header (HTTP 400); a batch or other JSON that is not a GraphQL request, a fragment cycle, unknown fields and wrong argument types, variables that cannot be coerced, a missing or unknown `operationName` (HTTP 422); another HTTP method, or a mutation over GET (405); an `Accept` that allows no GraphQL response type (406); another content type, charset or content encoding (415); malformed ids or cursors, negative `first`, text with control characters or unpaired surrogates, unknown input fields, an `Idempotency-Key` reused with a different input, and input that breaks a validation rule, with `extensions.field` naming it; a bad `after`, `limit` or `wait` on a subgraph’s event feed (`GET /events`, HTTP 400, with `extensions.field`).',
  },
  DEADLINE_EXCEEDED: {
    grpcStatus: 4,
    retryable: true,
    meaning: 'The deadline expired before the operation completed.',
    usedFor:
      'A subgraph did not answer within its deadline (`SUBGRAPH_TIMEOUT_MS`, per subgraph); the fields it owed are null, the rest is returned.',
  },
  NOT_FOUND: {
    grpcStatus: 5,
    retryable: false,
    meaning: 'A requested entity does not exist.',
    usedFor:
      "`car`, `costCenter` or `user` asked for an unknown id or code (the field is null); updating or deleting an unknown id; a reference to an entity that no longer exists. Also `PERSISTED_QUERY_NOT_FOUND` (HTTP 404), which keeps Apollo's code so automatic persisted queries work.",
  },
  ALREADY_EXISTS: {
    grpcStatus: 6,
    retryable: false,
    meaning: 'A create collided with an existing entity (unique key).',
    usedFor: 'A cost center `code`, or a user `username` or `email`, that is already taken.',
  },
  PERMISSION_DENIED: {
    grpcStatus: 7,
    retryable: false,
    meaning: 'The caller is known but not allowed to do this.',
    usedFor:
      "A signed-in caller lacks the scope a field needs (e.g. a viewer calling `createCar`, or reading another user's `email`); the field is null, the rest is returned.",
  },
  RESOURCE_EXHAUSTED: {
    grpcStatus: 8,
    retryable: true,
    meaning: 'A quota or limit was hit: rate limit, query too deep or costly, body too large.',
    usedFor:
      'A request body above `BODY_LIMIT` (HTTP 413); a document with too many tokens or nested too deeply (HTTP 400), or an operation too deep, with too many aliases or fields, or too costly (HTTP 422), with `extensions.limit` and `actual`; a request URI or headers too large (HTTP 414, 431); too many requests from one client (HTTP 429 with `Retry-After`); too many failed sign-ins for one username or client (`extensions.retryAfterSeconds` says when to try again).',
  },
  FAILED_PRECONDITION: {
    grpcStatus: 9,
    retryable: false,
    meaning: 'The system is not in a state to do this; fix the state before retrying.',
    usedFor:
      'Deleting a cost center that still has cars; creating or moving a car to a cost center that does not exist; giving a cost center a manager who does not exist.',
  },
  ABORTED: {
    grpcStatus: 10,
    retryable: true,
    meaning: 'A concurrency conflict; re-read, then retry the write.',
    usedFor:
      'An update whose `expectedRevision` is no longer the current revision (another write came first), or a database serialization conflict. Nothing was written.',
  },
  OUT_OF_RANGE: {
    grpcStatus: 11,
    retryable: false,
    meaning: 'Past the valid range, e.g. a page size beyond the maximum.',
    usedFor: '`first` above 100.',
  },
  UNIMPLEMENTED: {
    grpcStatus: 12,
    retryable: false,
    meaning: 'The operation is not implemented or not enabled.',
    usedFor:
      "A `subscription` operation (HTTP 422: the graph serves queries and mutations); a feature that is switched off on this server; `PERSISTED_QUERY_NOT_SUPPORTED` keeps Apollo's code with this number.",
  },
  INTERNAL: {
    grpcStatus: 13,
    retryable: false,
    meaning: 'An invariant broke: a bug.',
    usedFor:
      'An unexpected failure. The client gets a generic message and `extensions.requestId`; the details are only in the logs.',
  },
  UNAVAILABLE: {
    grpcStatus: 14,
    retryable: true,
    meaning: 'A service is down or unreachable; retrying may help.',
    usedFor:
      'A subgraph or a database cannot be reached; the fields that needed it are null with this error on their path, everything else is returned.',
  },
  DATA_LOSS: {
    grpcStatus: 15,
    retryable: false,
    meaning: 'Unrecoverable data loss or corruption.',
    usedFor:
      'A subgraph on the embedded database whose data folder was deleted or replaced while it ran: every statement is refused (nothing is written, nothing acknowledged) and its `/ready` turns 503 until it is restarted; also a PostgreSQL data file missing (SQLSTATE 58P01).',
  },
  UNAUTHENTICATED: {
    grpcStatus: 16,
    retryable: false,
    meaning: 'No valid credentials: missing, expired, revoked or forged token.',
    usedFor:
      'A bad `Authorization` token (expired, revoked, forged, of a deactivated user): HTTP 401 before anything runs. No token on a field that needs one: that field is null with this code. Wrong username or password at `login`, or a wrong `currentPassword` when changing your own. A subgraph called without a valid gateway signature, with one made for another subgraph, or with one already used: HTTP 401.',
  },
} as const satisfies Record<string, StatusDefinition>;

export type StatusName = keyof typeof STATUS;

/** Every code that can be sent as an error (all but OK). */
export type StatusCode = Exclude<StatusName, 'OK'>;

export const STATUS_NAMES = Object.keys(STATUS) as StatusName[];

/** Codes whose message could reveal internals; clients get a generic text instead. */
export const MASKED_CODES: ReadonlySet<StatusCode> = new Set(['INTERNAL', 'UNKNOWN']);

/**
 * Apollo protocol codes that clients depend on verbatim (Apollo Client's
 * automatic persisted queries look for these exact strings), with the gRPC
 * number each stands for.
 */
export const PROTOCOL_CODES: Readonly<Record<string, StatusCode>> = {
  PERSISTED_QUERY_NOT_FOUND: 'NOT_FOUND',
  PERSISTED_QUERY_NOT_SUPPORTED: 'UNIMPLEMENTED',
};

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
  return typeof code === 'string' && code in STATUS && code !== 'OK' ? (code as StatusCode) : undefined;
}
