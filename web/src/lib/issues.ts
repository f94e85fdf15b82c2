/**
 * GraphQL errors as the console shows them. The graph answers a failed or denied
 * field with `null` and one error whose `path` names it (or a non-null field under
 * it) and whose `extensions` carry a gRPC-like `code` and the `requestId`; the rest
 * of the response is data. So each null field is looked up here by its path and
 * rendered where it occurs, and every error keeps its request id for support.
 *
 * Pure functions, no React or Apollo: unit-tested in issues.test.ts.
 */

export type Path = ReadonlyArray<string | number>;

/** The shape of a GraphQL error as it arrives over the wire (graphql's GraphQLFormattedError). */
export interface WireError {
  readonly message: string;
  readonly path?: ReadonlyArray<string | number>;
  readonly extensions?: { readonly [key: string]: unknown };
}

export interface Issue {
  /** `extensions.code` (`PERMISSION_DENIED`, `UNAVAILABLE`, `ABORTED`, ...), or `NETWORK` when nothing answered. */
  code: string;
  message: string;
  /** The field the error is on; absent for request-level errors. */
  path?: Path;
  /** `extensions.requestId` (the gateway keeps the id the console sends as `x-request-id`). */
  requestId?: string;
  /** The subgraph the error came from, when the gateway says. */
  serviceName?: string;
  /** `ABORTED` on an update: the revision now stored. */
  currentRevision?: number;
  /** `RESOURCE_EXHAUSTED`: when to try again. */
  retryAfterSeconds?: number;
}

export type IssueKind =
  'forbidden' | 'unavailable' | 'not-found' | 'conflict' | 'signed-out' | 'invalid' | 'limited' | 'other';

const KINDS: Record<string, IssueKind> = {
  PERMISSION_DENIED: 'forbidden',
  UNAUTHENTICATED: 'signed-out',
  UNAVAILABLE: 'unavailable',
  DEADLINE_EXCEEDED: 'unavailable',
  CANCELLED: 'unavailable',
  NETWORK: 'unavailable',
  NOT_FOUND: 'not-found',
  ABORTED: 'conflict',
  INVALID_ARGUMENT: 'invalid',
  FAILED_PRECONDITION: 'invalid',
  ALREADY_EXISTS: 'invalid',
  OUT_OF_RANGE: 'invalid',
  RESOURCE_EXHAUSTED: 'limited',
};

export function kindOf(issue: Pick<Issue, 'code'>): IssueKind {
  return KINDS[issue.code] ?? 'other';
}

/** What a field that failed shows in its place. */
export function fieldLabel(issue: Issue): string {
  switch (kindOf(issue)) {
    case 'forbidden':
      return 'hidden: you lack permission';
    case 'signed-out':
      return 'hidden: sign in to see this';
    case 'unavailable':
      return 'temporarily unavailable';
    case 'not-found':
      return 'not found';
    case 'conflict':
      return 'changed by someone else';
    case 'limited':
      return 'too many requests; retry later';
    default:
      return `could not be loaded (${issue.code})`;
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const integer = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) ? value : undefined;

/** One issue per error of a response. `fallbackRequestId`: the id the request was sent with. */
export function issuesFromErrors(errors: ReadonlyArray<WireError> | undefined, fallbackRequestId?: string): Issue[] {
  return (errors ?? []).map((error) => {
    const extensions = error.extensions ?? {};
    return {
      code: text(extensions.code) ?? 'UNKNOWN',
      message: error.message,
      path: error.path && error.path.length > 0 ? [...error.path] : undefined,
      requestId: text(extensions.requestId) ?? fallbackRequestId,
      serviceName: text(extensions.serviceName),
      currentRevision: integer(extensions.currentRevision),
      retryAfterSeconds: integer(extensions.retryAfterSeconds),
    };
  });
}

function startsWith(path: Path, prefix: Path): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

/**
 * The issue that explains a null at `path`: an error on that field, or on a
 * non-null field beneath it whose null propagated up to it. (An error on an
 * ancestor nulls the ancestor, so `path` would not be rendered at all.)
 */
export function issueAt(issues: ReadonlyArray<Issue>, path: Path): Issue | undefined {
  return issues.find((issue) => issue.path !== undefined && startsWith(issue.path, path));
}

/** What a field shows: its value, a placeholder while a request that brings it is in flight, its issue, or nothing. */
export type FieldShows<T> =
  { kind: 'value'; value: T } | { kind: 'pending' } | { kind: 'issue'; issue: Issue } | { kind: 'empty' };

/**
 * Decides what a possibly-null field shows. `pending` says a request that brings the field is in
 * flight: its `@defer` part streams, or the query is being read again (a refetch after a live
 * change). Then a missing field is pending, and so is a null with no issue: while a refetch runs,
 * Apollo Client shows the cached data, whose nulls were explained by errors of the previous answer,
 * and the cache keeps no errors. Showing "—" meanwhile would say "no value" where the truth is
 * "not known yet". Once nothing is in flight, an absent field is missing, not loading forever (a
 * part that never came, e.g. past the request's deadline, has its error above the page).
 */
export function fieldShows<T>(
  value: T | null | undefined,
  path: Path,
  issues: ReadonlyArray<Issue>,
  pending: boolean,
): FieldShows<T> {
  if (value !== null && value !== undefined) return { kind: 'value', value };
  const issue = issueAt(issues, path);
  if (issue) return { kind: 'issue', issue };
  return pending ? { kind: 'pending' } : { kind: 'empty' };
}

/** Issues that concern no field: the request as a whole failed (HTTP refusal, network, validation). */
export function requestIssues(issues: ReadonlyArray<Issue>): Issue[] {
  return issues.filter((issue) => issue.path === undefined);
}

export interface IssueGroup {
  code: string;
  serviceName?: string;
  message: string;
  /** How many errors (fields) share this code, service and message. */
  count: number;
  requestIds: string[];
}

/** Errors of one response grouped for a summary line each: twenty rows without a manager make one line. */
export function groupIssues(issues: ReadonlyArray<Issue>): IssueGroup[] {
  const groups = new Map<string, IssueGroup>();
  for (const issue of issues) {
    const key = JSON.stringify([issue.code, issue.serviceName ?? null, issue.message]);
    let group = groups.get(key);
    if (!group) {
      group = { code: issue.code, serviceName: issue.serviceName, message: issue.message, count: 0, requestIds: [] };
      groups.set(key, group);
    }
    group.count += 1;
    if (issue.requestId && !group.requestIds.includes(issue.requestId)) group.requestIds.push(issue.requestId);
  }
  return [...groups.values()];
}
