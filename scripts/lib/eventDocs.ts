import { handWrittenPart } from './handWritten';
import { EVENT_CATALOG, EVENT_PAGE_DEFAULT, EVENT_PAGE_MAX, EVENTS_PATH, eventSource } from '@car-check/events';

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** docs/events.md, rendered from the event catalog so the two cannot drift. */
export function renderEventDocs(): string {
  const rows = EVENT_CATALOG.map(
    (event) =>
      `| \`${event.type}\` | \`${event.subgraph}\` (\`${eventSource(event.subgraph)}\`) | \`${event.entity}\` \`${event.action}\` | ${cell(event.subject)} | ${cell(event.description)} |`,
  );
  return (
    `<!-- Generated from packages/events/src/events/catalog.ts by \`npm run docs:events\`. Do not edit above the hand-written marker. -->
# Domain events

A domain event says that an entity was created, changed or deleted. Every event is the
audit record of the mutation that made the change, written in the same transaction (the
audit record is the outbox): an event exists if and only if the change was committed, and
a mutation that fails (\`ABORTED\`, \`INVALID_ARGUMENT\`, ...) has none. Account activity
(\`LOGIN\`, \`LOGOUT\`, \`REVOKE_TOKENS\`) stays in the audit trail and is never an event.
The same outbox feeds the GraphQL subscriptions \`carChanged\` and \`costCenterChanged\`
([subscriptions.md](subscriptions.md)).

| type | source subgraph | audit record | subject | when, and what \`data.changes\` holds |
|---|---|---|---|---|
${rows.join('\n')}

## Format

Each event is a [CloudEvents 1.0](https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md)
event in the JSON format:

\`\`\`json
{
  "specversion": "1.0",
  "id": "0b6f9a4e-…",
  "source": "/subgraphs/car",
  "type": "car.updated",
  "subject": "4f7c2d1e-…",
  "time": "2026-11-30T08:15:52.123Z",
  "datacontenttype": "application/json",
  "sequence": "0000000000000000042",
  "data": {
    "revision": 3,
    "changes": [{ "field": "model", "from": "Q4", "to": "Q4 e-tron" }],
    "actorId": "…",
    "requestId": "…",
    "traceId": "4bf92f3577b34da6a3ce929d0e0e4736"
  },
  "signer": "car",
  "signature": "Vb3J…"
}
\`\`\`

- \`id\` is the audit record's id: the same on every delivery; deduplicate on \`source\` and \`id\`.
- \`source\` is \`/subgraphs/<name>\`, the subgraph that owns the entity; \`subject\` is the entity's id.
- \`sequence\` (the CloudEvents sequence extension) is the subgraph's feed cursor as a decimal
  zero-padded to 19 digits, so that ordering the strings orders the events.
- \`data.revision\` is the entity's revision after the change (a deletion's is one past its
  last), so a reader that keeps the highest revision it applied per entity can ignore
  anything older; records written before events existed have \`null\`.
- \`data.changes\` holds the fields that changed, with old and new values as JSON values
  (\`null\` when absent). Secrets never appear: a password set or changed is
  \`{ "field": "password", "from": "[redacted]", "to": "[redacted]" }\`; hashes and tokens never.
- \`data.actorId\` is the user who made the change (\`service:<name>\` for a service);
  \`data.requestId\` and \`data.traceId\` find the request in the logs and traces.
- \`signer\` and \`signature\` (extensions) authenticate the event: the owning subgraph signs it
  with its Ed25519 key as it leaves (feed or broker): \`signature\` is base64url Ed25519 over the
  JSON of every other attribute with keys sorted at every level (\`packages/events/src/events/signature.ts\`).
  A consumer applies only an event that verifies against the owner's public key
  (\`<OWNER>_EVENTS_PUBLIC_KEY\`), signed by the owner, with the owner's source.

## The feed

Each subgraph serves its own events at \`GET ${EVENTS_PATH}?after=<sequence>&limit=<n>\`
(\`after\` defaults to 0, \`limit\` to ${EVENT_PAGE_DEFAULT}, at most ${EVENT_PAGE_MAX}; anything else is
HTTP 400 \`INVALID_ARGUMENT\`). Only services may read it: the request must be signed for that
subgraph like every call the gateway makes to it (an unsigned, forged, stale or replayed
request is HTTP 401 \`UNAUTHENTICATED\`). It answers \`{ "events": [...], "next": <sequence> }\`
in sequence order; read on with \`after=next\`.

Delivery is at least once (a reader that loses its cursor reads events again). Per entity,
events come in revision order; across a subgraph, in commit order: event records are
numbered under a lock held until their transaction commits, so a reader never skips a
record that commits late. Numbers left by rolled-back writes are simply missing.
` + handWrittenPart('events.md')
  );
}
