import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderEventDocs } from '../../../../../scripts/lib/eventDocs';
import { EVENT_CATALOG, eventDefinitionOf, eventsOfSubgraph } from '../catalog';
import { formatSequence, toCloudEvent, type AuditEventRecord } from '../cloudEvent';

const record = (overrides: Partial<AuditEventRecord> = {}): AuditEventRecord => ({
  id: '0b6f9a4e-0000-4000-8000-000000000001',
  entity: 'Car',
  entityId: '4f7c2d1e-0000-4000-8000-000000000002',
  action: 'UPDATE',
  actorId: 'a1',
  requestId: 'r1',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  revision: 3,
  at: new Date('2026-11-30T08:15:52.123Z'),
  sequence: 42n,
  changes: [{ field: 'model', from: '"Q4"', to: '"Q4 e-tron"' }],
  ...overrides,
});

describe('the event catalog', () => {
  it('has created, updated and deleted for each entity of each subgraph, and nothing else', () => {
    expect(EVENT_CATALOG.map((event) => event.type)).toEqual([
      'car.created',
      'car.updated',
      'car.deleted',
      'cost-center.created',
      'cost-center.updated',
      'cost-center.deleted',
      'user.created',
      'user.updated',
      'user.deleted',
      'webhook.created',
      'webhook.updated',
      'webhook.deleted',
    ]);
    for (const event of EVENT_CATALOG) {
      expect(event.type.startsWith(`${event.subgraph}.`)).toBe(true);
      expect(event.description.length).toBeGreaterThan(20);
    }
    expect(eventsOfSubgraph('cost-center').map((event) => event.entity)).toEqual([
      'CostCenter',
      'CostCenter',
      'CostCenter',
    ]);
  });

  it('never makes account activity an event', () => {
    for (const action of ['LOGIN', 'LOGOUT', 'REVOKE_TOKENS']) {
      expect(eventDefinitionOf('User', action)).toBeUndefined();
      expect(toCloudEvent(record({ entity: 'User', action }))).toBeNull();
    }
  });

  it('matches the committed docs/events.md (run `npm run docs:events` after changing it)', () => {
    const committed = readFileSync(path.resolve(__dirname, '../../../../../docs/events.md'), 'utf8');
    expect(committed).toBe(renderEventDocs());
  });
});

describe('an audit record as a CloudEvent', () => {
  it('has the CloudEvents 1.0 attributes, the sequence extension and the change with its values', () => {
    expect(toCloudEvent(record())).toEqual({
      specversion: '1.0',
      id: '0b6f9a4e-0000-4000-8000-000000000001',
      source: '/subgraphs/car',
      type: 'car.updated',
      subject: '4f7c2d1e-0000-4000-8000-000000000002',
      time: '2026-11-30T08:15:52.123Z',
      datacontenttype: 'application/json',
      sequence: '0000000000000000042',
      data: {
        revision: 3,
        changes: [{ field: 'model', from: 'Q4', to: 'Q4 e-tron' }],
        actorId: 'a1',
        requestId: 'r1',
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      },
    });
  });

  it('orders sequences as strings as it orders them as numbers', () => {
    const numbers = [1n, 9n, 10n, 99n, 100n, 9223372036854775807n];
    const strings = numbers.map(formatSequence);
    expect([...strings].sort()).toEqual(strings);
    expect(strings.every((text) => text.length === 19)).toBe(true);
  });

  it('never carries a secret field, even if a record held one', () => {
    const event = toCloudEvent(
      record({
        entity: 'User',
        changes: [
          { field: 'passwordHash', from: '"$scrypt$old"', to: '"$scrypt$new"' },
          { field: 'password', from: '"[redacted]"', to: '"[redacted]"' },
        ],
      }),
    );
    expect(event?.data.changes).toEqual([{ field: 'password', from: '[redacted]', to: '[redacted]' }]);
    expect(JSON.stringify(event)).not.toContain('scrypt');
  });
});
