import { randomUUID } from 'node:crypto';
import { formatSequence, type CloudEvent } from '@car-check/events';

/** The highest sequence an event can claim: a forgery there would push a cursor past every real event. */
export const MAX_SEQUENCE = 9223372036854775807n;

/**
 * The forged message of the incident in issue 20: an unsigned `cost-center.updated` that
 * renames cost center `subject` (from `fromCode`) to FORGED, at a revision no real update
 * reaches and the highest sequence there is. Tests sign it, tamper with it or send it bare.
 */
export function forgedRename(subject: string, fromCode: string): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/subgraphs/cost-center',
    type: 'cost-center.updated',
    subject,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    sequence: formatSequence(MAX_SEQUENCE),
    data: {
      revision: 1_000_000,
      changes: [{ field: 'code', from: fromCode, to: 'FORGED' }],
      actorId: null,
      requestId: 'forged',
      traceId: null,
    },
  };
}
