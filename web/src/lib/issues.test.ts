import { fieldLabel, fieldShows, groupIssues, issueAt, issuesFromErrors, requestIssues } from './issues';

const REQUEST = '5f9fbc41-0000-4000-8000-000000000001';

// The shapes the gateway answers with (README "Errors"): a null field, its error on its path.
const denied = {
  message: "User.email needs the user:read scope, unless it is the caller's own.",
  path: ['cars', 'edges', 0, 'node', 'costCenter', 'manager', 'email'],
  extensions: { code: 'PERMISSION_DENIED', grpcStatus: 7, serviceName: 'user', requestId: REQUEST },
};
// A non-null field under `costCenter` failed: the error names `code`, the null lands on `costCenter`.
const down = {
  message: 'The cost-center service is unavailable; retry later.',
  path: ['cars', 'edges', 1, 'node', 'costCenter', 'code'],
  extensions: { code: 'UNAVAILABLE', grpcStatus: 14, serviceName: 'cost-center', requestId: REQUEST },
};

describe('issues: GraphQL errors mapped to the fields they concern', () => {
  const issues = issuesFromErrors([denied, down]);

  it('keeps the code, service and request id of each error', () => {
    expect(issues[0]).toEqual({
      code: 'PERMISSION_DENIED',
      message: denied.message,
      path: denied.path,
      requestId: REQUEST,
      serviceName: 'user',
      currentRevision: undefined,
      retryAfterSeconds: undefined,
    });
  });

  it('finds the error for a null field on its path or beneath it, and nothing for the fields that rendered', () => {
    expect(issueAt(issues, ['cars', 'edges', 0, 'node', 'costCenter', 'manager', 'email'])?.code).toBe(
      'PERMISSION_DENIED',
    );
    expect(issueAt(issues, ['cars', 'edges', 1, 'node', 'costCenter'])?.code).toBe('UNAVAILABLE');
    expect(issueAt(issues, ['cars', 'edges', 2, 'node', 'costCenter'])).toBeUndefined();
    // Another row's error is not this row's: paths compare segment by segment (1 is not 10).
    expect(
      issueAt(issuesFromErrors([{ ...down, path: ['cars', 'edges', 10, 'node', 'costCenter'] }]), [
        'cars',
        'edges',
        1,
        'node',
        'costCenter',
      ]),
    ).toBeUndefined();
  });

  it('labels a field by what its error means to the reader', () => {
    expect(fieldLabel(issues[0]!)).toBe('hidden: you lack permission');
    expect(fieldLabel(issues[1]!)).toBe('temporarily unavailable');
    expect(fieldLabel({ code: 'DEADLINE_EXCEEDED', message: '' })).toBe('temporarily unavailable');
    expect(fieldLabel({ code: 'NOT_FOUND', message: '' })).toBe('not found');
    expect(fieldLabel({ code: 'INTERNAL', message: '' })).toBe('could not be loaded (INTERNAL)');
  });

  it('groups a response’s errors for its summary, counting fields and keeping request ids', () => {
    const many = issuesFromErrors([
      down,
      { ...down, path: ['cars', 'edges', 2, 'node', 'costCenter', 'code'] },
      denied,
    ]);
    expect(groupIssues(many)).toEqual([
      { code: 'UNAVAILABLE', serviceName: 'cost-center', message: down.message, count: 2, requestIds: [REQUEST] },
      { code: 'PERMISSION_DENIED', serviceName: 'user', message: denied.message, count: 1, requestIds: [REQUEST] },
    ]);
  });

  it('tells request-level errors from field errors, and falls back to the id the request was sent with', () => {
    const refused = issuesFromErrors(
      [{ message: 'Cannot verify credentials right now; retry later.', extensions: { code: 'UNAVAILABLE' } }],
      'sent-id',
    );
    expect(requestIssues([...issues, ...refused])).toEqual(refused);
    expect(refused[0]?.requestId).toBe('sent-id');
    expect(issuesFromErrors([{ message: 'odd' }])[0]?.code).toBe('UNKNOWN');
    expect(
      issuesFromErrors([
        { message: 'stale', extensions: { code: 'ABORTED', currentRevision: 3, requestId: REQUEST } },
      ])[0]?.currentRevision,
    ).toBe(3);
  });

  it('shows a field as pending while a request bringing it is in flight, a refetch’s cached null included', () => {
    const email = ['cars', 'edges', 0, 'node', 'costCenter', 'manager', 'email'];
    // Settled: the null is explained by its error, or is a plain null.
    expect(fieldShows(null, email, issues, false)).toEqual({ kind: 'issue', issue: issues[0] });
    expect(fieldShows(null, email, [], false)).toEqual({ kind: 'empty' });
    // In flight: not yet arrived (undefined), or a cached null whose error the new answer has not brought yet.
    expect(fieldShows(undefined, email, [], true)).toEqual({ kind: 'pending' });
    expect(fieldShows(null, email, [], true)).toEqual({ kind: 'pending' });
    // The error or the value is there: shown as such, in flight or not.
    expect(fieldShows(null, email, issues, true)).toEqual({ kind: 'issue', issue: issues[0] });
    expect(fieldShows('a@b.c', email, [], true)).toEqual({ kind: 'value', value: 'a@b.c' });
    // Nothing in flight and no part: missing, not loading forever.
    expect(fieldShows(undefined, email, [], false)).toEqual({ kind: 'empty' });
  });
});
