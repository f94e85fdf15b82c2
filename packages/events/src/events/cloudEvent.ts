import type { FieldChange } from '../audit/record';
import { eventDefinitionOf, type EventType } from './catalog';

/** An audit row as the event feed reads it (only CREATE, UPDATE and DELETE rows are events). */
export interface AuditEventRecord {
  id: string;
  entity: string;
  entityId: string;
  action: string;
  actorId: string | null;
  requestId: string;
  traceId: string | null;
  revision: number | null;
  at: Date;
  /** The feed cursor (a PostgreSQL bigint). */
  sequence: bigint | number | string;
  changes: FieldChange[];
}

/** One field's change in an event: old and new values as JSON values (null when absent). */
export interface EventChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface EventData {
  /** The entity's revision after the change (a delete's is one past its last); null for records older than events. */
  revision: number | null;
  changes: EventChange[];
  /** The user who made the change, `service:<name>` for a service, or null. */
  actorId: string | null;
  requestId: string;
  traceId: string | null;
}

/** A CloudEvents 1.0 event in its JSON format (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md). */
export interface CloudEvent {
  specversion: '1.0';
  /** The audit record's id: unique per source, the same on every delivery (deduplicate on source + id). */
  id: string;
  /** `/subgraphs/<name>`: the subgraph that owns the entity (a URI-reference). */
  source: string;
  type: EventType;
  /** The entity's id. */
  subject: string;
  /** When the change was made (RFC 3339). */
  time: string;
  datacontenttype: 'application/json';
  /**
   * The CloudEvents `sequence` extension: the feed cursor, a decimal number
   * zero-padded to 19 digits, so that ordering the strings orders the events,
   * as the extension requires (a bigint would not fit its Integer type).
   */
  sequence: string;
  data: EventData;
}

/** Fields that never leave the service, whatever an audit record holds (the audit never records them either). */
const NEVER_PUBLISHED = new Set(['passwordHash', 'token', 'tokenHash', 'secret']);

/** The CloudEvent `source` of a subgraph's events. */
export const eventSource = (subgraph: string): string => `/subgraphs/${subgraph}`;

/** A sequence as the extension carries it: 19 digits, zero-padded (a PostgreSQL bigint has at most 19). */
export const formatSequence = (sequence: bigint | number | string): string =>
  BigInt(sequence).toString().padStart(19, '0');

/**
 * The CloudEvent an audit record is, or null when it is none (account
 * activity: LOGIN, LOGOUT, REVOKE_TOKENS; an entity not in the catalog).
 * Values come from the audit record, which never holds a secret: a password
 * change is `"[redacted]"`, and a hash is never recorded.
 */
export function toCloudEvent(record: AuditEventRecord): CloudEvent | null {
  const definition = eventDefinitionOf(record.entity, record.action);
  if (!definition) return null;
  return {
    specversion: '1.0',
    id: record.id,
    source: eventSource(definition.subgraph),
    type: definition.type,
    subject: record.entityId,
    time: new Date(record.at).toISOString(),
    datacontenttype: 'application/json',
    sequence: formatSequence(record.sequence),
    data: {
      revision: record.revision,
      changes: record.changes
        .filter((change) => !NEVER_PUBLISHED.has(change.field))
        .map((change) => ({ field: change.field, from: jsonValue(change.from), to: jsonValue(change.to) })),
      actorId: record.actorId,
      requestId: record.requestId,
      traceId: record.traceId,
    },
  };
}

/** The audit keeps values as JSON text; an event carries the values themselves. */
function jsonValue(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
