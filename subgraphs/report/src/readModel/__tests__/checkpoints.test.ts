import { earliestDifference, type KeyInterval } from '../checkpoints';

const at = (ms: number) => new Date(ms);
const interval = (from: number, to: number | null, key: string): KeyInterval => ({
  validFrom: at(from),
  validTo: to === null ? null : at(to),
  key,
});

describe('earliestDifference', () => {
  it('is null when the versions say the same at every instant', () => {
    expect(earliestDifference([], [])).toBeNull();
    expect(earliestDifference([interval(10, null, 'a')], [interval(10, null, 'a')])).toBeNull();
    // Split in two versions with the same key (a change of a field the rollup does not keep).
    expect(earliestDifference([interval(10, null, 'a')], [interval(10, 20, 'a'), interval(20, null, 'a')])).toBeNull();
  });

  it('is the instant of an appended change: the past before it is untouched', () => {
    expect(earliestDifference([interval(10, null, 'a')], [interval(10, 30, 'a'), interval(30, null, 'b')])).toEqual(
      at(30),
    );
    // A delete.
    expect(earliestDifference([interval(10, null, 'a')], [interval(10, 40, 'a')])).toEqual(at(40));
  });

  it('reaches back to a late event’s instant, before later changes', () => {
    const before = [interval(10, 50, 'a'), interval(50, null, 'c')];
    const after = [interval(10, 20, 'a'), interval(20, 50, 'b'), interval(50, null, 'c')];
    expect(earliestDifference(before, after)).toEqual(at(20));
  });

  it('is the creation when the car did not exist before (or no longer does)', () => {
    expect(earliestDifference([], [interval(15, null, 'a')])).toEqual(at(15));
    expect(earliestDifference([interval(15, null, 'a')], [])).toEqual(at(15));
  });
});
