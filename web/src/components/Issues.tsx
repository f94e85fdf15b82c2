import type { ReactNode } from 'react';
import { fieldLabel, fieldShows, groupIssues, kindOf, type Issue, type Path } from '../lib/issues';

/** The request id, visible and selectable, for a support ticket. */
export function RequestId({ id }: { id: string | undefined }) {
  if (!id) return null;
  return (
    <span className="request-id">
      request id <code data-testid="request-id">{id}</code>
    </span>
  );
}

/** What a null field shows in its place: "hidden: you lack permission", "temporarily unavailable", ... */
export function FieldIssue({ issue }: { issue: Issue }) {
  const details = [
    issue.code,
    issue.serviceName && `from ${issue.serviceName}`,
    issue.message,
    issue.requestId && `request id ${issue.requestId}`,
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <span
      className={`field-issue kind-${kindOf(issue)}`}
      data-testid="field-issue"
      data-code={issue.code}
      title={details}
    >
      {fieldLabel(issue)}
    </span>
  );
}

/** Where the fields of a `@defer` fragment go while their part is on its way. */
export function DeferredPlaceholder() {
  return (
    <span className="deferred" data-testid="deferred" aria-busy="true">
      loading…
    </span>
  );
}

/**
 * A field that may be null because it failed or was denied: renders the value,
 * else the error on its path (or beneath it), else `empty` (a plain null).
 *
 * With `pending` (its `@defer` part streams, or the query is being read again) a field that has
 * no value and no error yet shows a placeholder (see `fieldShows`).
 */
export function Field<T>({
  value,
  path,
  issues,
  empty = '—',
  pending = false,
  children,
}: {
  value: T | null | undefined;
  path: Path;
  issues: ReadonlyArray<Issue>;
  empty?: ReactNode;
  pending?: boolean;
  children: (value: T) => ReactNode;
}) {
  const shows = fieldShows(value, path, issues, pending);
  switch (shows.kind) {
    case 'value':
      return <>{children(shows.value)}</>;
    case 'pending':
      return <DeferredPlaceholder />;
    case 'issue':
      return <FieldIssue issue={shows.issue} />;
    case 'empty':
      return <>{empty}</>;
  }
}

/**
 * One line per kind of error in a response, with its request id(s): the page
 * still renders; this says what is missing from it and why.
 */
export function IssueSummary({ issues, title }: { issues: ReadonlyArray<Issue>; title?: string }) {
  if (issues.length === 0) return null;
  const groups = groupIssues(issues);
  const fieldLevel = issues.every((issue) => issue.path !== undefined);
  const heading = title ?? (fieldLevel ? 'Some fields could not be shown' : 'The request failed');
  return (
    <div
      className={`issue-summary ${fieldLevel ? 'partial' : 'failed'}`}
      role={fieldLevel ? 'status' : 'alert'}
      data-testid="issue-summary"
    >
      <strong>{heading}</strong>
      <ul>
        {groups.map((group) => (
          <li key={`${group.code}|${group.serviceName ?? ''}|${group.message}`} data-code={group.code}>
            <span className={`code kind-${kindOf(group)}`}>{group.code}</span>
            {group.serviceName ? <span className="service"> ({group.serviceName} service)</span> : null}:{' '}
            {group.message}
            {group.count > 1 ? <span className="count"> ({group.count} fields)</span> : null}
            {group.requestIds.map((id) => (
              <span key={id}>
                {' — '}
                <RequestId id={id} />
              </span>
            ))}
          </li>
        ))}
      </ul>
    </div>
  );
}
