import { listNeedsRefetch, reconnectDelayMs, streamEndOf, type ListedChange } from './liveChanges';

describe('reconnectDelayMs', () => {
  it('retries quickly at first, then every 5 s', () => {
    expect([0, 1, 2, 3, 4, 5, 50].map(reconnectDelayMs)).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
  });
});

describe('streamEndOf', () => {
  it('resumes after a shutdown, an unreachable subgraph, a full buffer or a network failure', () => {
    expect(streamEndOf(['UNAVAILABLE'])).toBe('resume');
    expect(streamEndOf(['RESOURCE_EXHAUSTED'])).toBe('resume');
    expect(streamEndOf(['NETWORK'])).toBe('resume');
    expect(streamEndOf([])).toBe('resume');
  });

  it('reads the page again when the cursor cannot resume', () => {
    expect(streamEndOf(['OUT_OF_RANGE'])).toBe('resync');
    expect(streamEndOf(['INVALID_ARGUMENT'])).toBe('resync');
  });

  it('stops when the caller may not follow the changes', () => {
    expect(streamEndOf(['PERMISSION_DENIED'])).toBe('off');
  });
});

describe('listNeedsRefetch', () => {
  const visible = new Set(['car-1', 'car-2']);
  const change = (overrides: Partial<ListedChange>): ListedChange => ({
    kind: 'UPDATED',
    carId: 'car-1',
    changedFields: ['version'],
    ...overrides,
  });

  it('reads the page again when a car on it changed', () => {
    expect(listNeedsRefetch(change({}), visible, new Set())).toBe(true);
  });

  it('reads the page again on a creation or a deletion, wherever the car is', () => {
    expect(listNeedsRefetch(change({ kind: 'CREATED', carId: 'car-9' }), visible, new Set())).toBe(true);
    expect(listNeedsRefetch(change({ kind: 'DELETED', carId: 'car-9' }), visible, new Set())).toBe(true);
  });

  it('reads the page again when a car off it changed in a field the page filters or sorts by', () => {
    expect(listNeedsRefetch(change({ carId: 'car-9', changedFields: ['model'] }), visible, new Set(['model']))).toBe(
      true,
    );
  });

  it('leaves the page as it is when a car off it changed in a field the page does not use', () => {
    expect(listNeedsRefetch(change({ carId: 'car-9' }), visible, new Set())).toBe(false);
    expect(
      listNeedsRefetch(change({ carId: 'car-9', changedFields: ['version', 'model'] }), visible, new Set(['brand'])),
    ).toBe(false);
  });
});
