import { handWrittenPart } from './handWritten';
import { STATUS, STATUS_NAMES } from '@car-check/service-kit';

/** docs/errors.md, rendered from the error catalog so the two cannot drift. */
export function renderErrorDocs(): string {
  const rows = STATUS_NAMES.map((name) => {
    const status = STATUS[name];
    const retry = name === 'OK' ? '—' : status.retryable ? 'yes' : 'no';
    return `| ${status.grpcStatus} | \`${name}\` | ${status.meaning} | ${status.usedFor} | ${retry} |`;
  });
  return (
    `<!-- Generated from packages/service-kit/src/errors/catalog.ts by \`npm run docs:errors\`. Do not edit above the hand-written marker. -->
# Error codes

Every error in a response of this graph carries \`extensions.code\` (the gRPC status name)
and \`extensions.grpcStatus\` (its number), the vocabulary of the gRPC services this graph
replaced. Errors about one field carry that field's \`path\`, and the field is \`null\`;
everything else in the response is still returned. Errors that come from a subgraph also
carry \`extensions.serviceName\`, and every error carries \`extensions.requestId\` (the
\`x-request-id\` of the request) to quote when reporting a problem.

Messages are for people; branch on \`extensions.code\`. "Retry" says whether sending the
same request again later may succeed: \`UNAVAILABLE\` and \`DEADLINE_EXCEEDED\` may simply be
retried (with backoff); \`ABORTED\` means re-read, then write again; \`FAILED_PRECONDITION\`
means fix the state first.

| # | code | meaning | when this graph sends it | retry |
|---|---|---|---|---|
${rows.join('\n')}

Request-level problems have no \`data\`: a body that is not JSON or a syntax error is HTTP 400,
a request that is not a GraphQL request, a validation error (limits included), an operation
that cannot be determined or variables that cannot be coerced HTTP 422, a body over the size
limit HTTP 413. Errors during execution come with \`data\` holding everything that succeeded,
HTTP 294 (200 to a client that accepts only \`application/json\`); see
[graphql-over-http.md](graphql-over-http.md).
` + handWrittenPart('errors.md')
  );
}
