import fc from 'fast-check';
import { pickCar } from '../entities';
import { foldVersions, versionAt, type FoldEvent } from '../fold';

const CC = ['6f1c2a3e-0000-4000-8000-000000000001', '6f1c2a3e-0000-4000-8000-000000000002'];
const t = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

function event(action: FoldEvent['action'], revision: number, changes: Record<string, unknown> = {}): FoldEvent {
  return {
    action,
    revision,
    sequence: BigInt(revision * 10),
    time: t(revision),
    changes: Object.entries(changes).map(([field, to]) => ({ field, to })),
  };
}

const HISTORY = [
  event('created', 1, { brand: 'Renault', model: 'Clio', version: 'RS', costCenterId: CC[0] }),
  event('updated', 2, { costCenterId: CC[1] }),
  event('updated', 3, { model: 'Zoe' }),
  event('deleted', 4, { brand: null, model: null, costCenterId: null }),
];

describe('versions folded from events', () => {
  it('keeps one version per change, each valid until the next, a delete closing the last', () => {
    expect(foldVersions(HISTORY, pickCar)).toEqual([
      { revision: 1, validFrom: t(1), validTo: t(2), fields: { brand: 'Renault', model: 'Clio', costCenterId: CC[0] } },
      { revision: 2, validFrom: t(2), validTo: t(3), fields: { brand: 'Renault', model: 'Clio', costCenterId: CC[1] } },
      { revision: 3, validFrom: t(3), validTo: t(4), fields: { brand: 'Renault', model: 'Zoe', costCenterId: CC[1] } },
    ]);
    expect(versionAt(foldVersions(HISTORY, pickCar), t(2))?.revision).toBe(2);
    expect(versionAt(foldVersions(HISTORY, pickCar), t(4))).toBeUndefined();
  });

  it('makes no version until the create is known, then folds the updates after it', () => {
    expect(foldVersions(HISTORY.slice(1, 3), pickCar)).toEqual([]);
    expect(foldVersions([HISTORY[2]!, HISTORY[0]!], pickCar).map((version) => version.fields.model)).toEqual([
      'Clio',
      'Zoe',
    ]);
  });

  it('gives the same versions whatever the order and repetition of the events', () => {
    const expected = foldVersions(HISTORY, pickCar);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...HISTORY), { minLength: 0, maxLength: 12 }), fc.nat(), (extra, seed) => {
        const events = [...HISTORY, ...extra]
          .map((each, index) => ({ each, order: (index * 7919 + seed) % 101 }))
          .sort((a, b) => a.order - b.order)
          .map(({ each }) => each);
        expect(foldVersions(events, pickCar)).toEqual(expected);
      }),
    );
  });

  it('refuses a value of the wrong type', () => {
    expect(() => pickCar([{ field: 'costCenterId', to: 'not an id' }])).toThrow(/costCenterId/);
    expect(() => pickCar([{ field: 'brand', to: 3 }])).toThrow(/brand/);
  });
});
