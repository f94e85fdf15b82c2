import { bucketIndexOf, bucketsOf, periodStart } from '../buckets';

const at = (iso: string) => new Date(iso);
const iso = (buckets: { start: Date; end: Date }[]) => buckets.map((b) => [b.start.toISOString(), b.end.toISOString()]);

describe('fleet change buckets', () => {
  it('starts days at UTC midnight, weeks on Monday (ISO 8601) and months on the 1st', () => {
    // 2026-01-01 is a Thursday: its ISO week began on Monday 2025-12-29.
    expect(periodStart(at('2026-01-01T23:59:59.999Z'), 'DAY').toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(periodStart(at('2026-01-01T10:00:00.000Z'), 'WEEK').toISOString()).toBe('2025-12-29T00:00:00.000Z');
    // A Sunday belongs to the week that began six days before; a Monday starts its own.
    expect(periodStart(at('2026-01-04T23:00:00.000Z'), 'WEEK').toISOString()).toBe('2025-12-29T00:00:00.000Z');
    expect(periodStart(at('2026-01-05T00:00:00.000Z'), 'WEEK').toISOString()).toBe('2026-01-05T00:00:00.000Z');
    expect(periodStart(at('2028-02-29T12:00:00.000Z'), 'MONTH').toISOString()).toBe('2028-02-01T00:00:00.000Z');
  });

  it('cuts [from, to) at calendar boundaries, the first and last bucket to the period', () => {
    expect(iso(bucketsOf(at('2026-01-30T12:00:00Z'), at('2026-03-02T00:00:00Z'), 'MONTH', 400))).toEqual([
      ['2026-01-30T12:00:00.000Z', '2026-02-01T00:00:00.000Z'],
      ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
      ['2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z'],
    ]);
    expect(iso(bucketsOf(at('2025-12-31T00:00:00Z'), at('2026-01-13T00:00:00Z'), 'WEEK', 400))).toEqual([
      ['2025-12-31T00:00:00.000Z', '2026-01-05T00:00:00.000Z'],
      ['2026-01-05T00:00:00.000Z', '2026-01-12T00:00:00.000Z'],
      ['2026-01-12T00:00:00.000Z', '2026-01-13T00:00:00.000Z'],
    ]);
    // A leap day, and a year's end.
    expect(bucketsOf(at('2028-02-28T00:00:00Z'), at('2028-03-01T00:00:00Z'), 'DAY', 400)).toHaveLength(2);
    expect(iso(bucketsOf(at('2026-12-01T00:00:00Z'), at('2027-01-01T00:00:01Z'), 'MONTH', 400)).at(-1)).toEqual([
      '2027-01-01T00:00:00.000Z',
      '2027-01-01T00:00:01.000Z',
    ]);
  });

  it('refuses more buckets than the limit with INVALID_ARGUMENT, and accepts exactly the limit', () => {
    expect(bucketsOf(at('2026-01-01T00:00:00Z'), at('2026-01-11T00:00:00Z'), 'DAY', 10)).toHaveLength(10);
    expect(() => bucketsOf(at('2026-01-01T00:00:00Z'), at('2026-01-11T00:00:01Z'), 'DAY', 10)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'INVALID_ARGUMENT', max: 10 }) }),
    );
  });

  it('finds the bucket of an instant: start inclusive, end exclusive', () => {
    const buckets = bucketsOf(at('2026-01-01T00:00:00Z'), at('2026-01-04T00:00:00Z'), 'DAY', 400);
    expect(bucketIndexOf(buckets, at('2026-01-01T00:00:00Z'))).toBe(0);
    expect(bucketIndexOf(buckets, at('2026-01-01T23:59:59.999Z'))).toBe(0);
    expect(bucketIndexOf(buckets, at('2026-01-02T00:00:00Z'))).toBe(1);
    expect(bucketIndexOf(buckets, at('2026-01-04T00:00:00Z'))).toBe(-1);
    expect(bucketIndexOf(buckets, at('2025-12-31T23:59:59.999Z'))).toBe(-1);
  });
});
