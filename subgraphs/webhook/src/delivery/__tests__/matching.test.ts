import type { CloudEvent } from '@car-check/events';
import { matches, typeMatches } from '../matching';

const event = (type: string, subject: string, changes: { field: string; from: unknown; to: unknown }[] = []) =>
  ({ type, subject, data: { changes } }) as unknown as CloudEvent;

describe('which endpoints want an event', () => {
  it('matches types exactly, by owner wildcard, or all', () => {
    expect(typeMatches('car.*', 'car.created')).toBe(true);
    expect(typeMatches('car.*', 'cost-center.created')).toBe(false);
    expect(typeMatches('cost-center.*', 'car.created')).toBe(false);
    expect(typeMatches('car.updated', 'car.updated')).toBe(true);
    expect(typeMatches('car.updated', 'car.deleted')).toBe(false);
    expect(typeMatches('*', 'user.deleted')).toBe(true);
  });

  it('filters on cost centers: the cost center itself, or a car moved from or to it', () => {
    const subscription = { eventTypes: ['*'], costCenterIds: ['cc-1'], societyNames: [] };
    expect(matches(subscription, event('cost-center.updated', 'cc-1'))).toBe(true);
    expect(matches(subscription, event('cost-center.updated', 'cc-2'))).toBe(false);
    expect(
      matches(subscription, event('car.created', 'car-1', [{ field: 'costCenterId', from: null, to: 'cc-1' }])),
    ).toBe(true);
    expect(
      matches(subscription, event('car.updated', 'car-1', [{ field: 'costCenterId', from: 'cc-1', to: 'cc-2' }])),
    ).toBe(true);
    expect(matches(subscription, event('car.updated', 'car-1', [{ field: 'brand', from: 'a', to: 'b' }]))).toBe(false);
    expect(matches(subscription, event('user.created', 'u-1'))).toBe(false);
  });

  it('filters on society names of cost-center events, and on types and filters together', () => {
    const subscription = { eventTypes: ['cost-center.*'], costCenterIds: [], societyNames: ['Acme'] };
    expect(
      matches(subscription, event('cost-center.created', 'cc', [{ field: 'societyName', from: null, to: 'Acme' }])),
    ).toBe(true);
    expect(
      matches(subscription, event('cost-center.updated', 'cc', [{ field: 'societyName', from: 'Acme', to: 'Beta' }])),
    ).toBe(true);
    expect(
      matches(subscription, event('cost-center.created', 'cc', [{ field: 'societyName', from: null, to: 'Beta' }])),
    ).toBe(false);
    expect(
      matches(
        { ...subscription, eventTypes: ['car.*'] },
        event('cost-center.created', 'cc', [{ field: 'societyName', from: null, to: 'Acme' }]),
      ),
    ).toBe(false);
  });
});
