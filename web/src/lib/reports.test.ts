import { instantOf } from './webhooks';
import {
  bucketStart,
  bucketsAfter,
  countAxis,
  filterOf,
  groupByOf,
  localInputOf,
  NO_SOCIETY,
  reportParamsOf,
  societySeries,
  toggled,
  trendPeriod,
} from './reports';

describe('groupByOf', () => {
  it('keeps known dimensions in the order given, without repeats', () => {
    expect(groupByOf('BRAND,SOCIETY,BRAND,COLOR')).toEqual(['BRAND', 'SOCIETY']);
  });

  it('groups by society when the address names nothing, and by nothing when it says so', () => {
    expect(groupByOf(null)).toEqual(['SOCIETY']);
    expect(groupByOf('none')).toEqual([]);
  });
});

describe('toggled', () => {
  it('adds a dimension at the end and removes one where it is', () => {
    expect(toggled(['SOCIETY'], 'BRAND')).toEqual(['SOCIETY', 'BRAND']);
    expect(toggled(['SOCIETY', 'BRAND', 'MODEL'], 'BRAND')).toEqual(['SOCIETY', 'MODEL']);
  });
});

describe('buckets (UTC)', () => {
  const instant = new Date('2026-03-04T23:30:00Z'); // a Wednesday

  it('start at midnight, on the Monday of the ISO week, or on the 1st of the month', () => {
    expect(bucketStart(instant, 'DAY').toISOString()).toBe('2026-03-04T00:00:00.000Z');
    expect(bucketStart(instant, 'WEEK').toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(bucketStart(new Date('2026-03-08T12:00:00Z'), 'WEEK').toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(bucketStart(new Date('2026-03-09T00:00:00Z'), 'WEEK').toISOString()).toBe('2026-03-09T00:00:00.000Z');
    expect(bucketStart(instant, 'MONTH').toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });

  it('step by whole months across years, and by weeks', () => {
    const march = new Date('2026-03-01T00:00:00Z');
    expect(bucketsAfter(march, 'MONTH', -11).toISOString()).toBe('2025-04-01T00:00:00.000Z');
    expect(bucketsAfter(march, 'MONTH', 10).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(bucketsAfter(new Date('2026-03-02T00:00:00Z'), 'WEEK', -2).toISOString()).toBe('2026-02-16T00:00:00.000Z');
  });

  it('make a period of whole buckets ending with the one holding the instant', () => {
    expect(trendPeriod(instant, 'MONTH', 12)).toEqual({
      from: '2025-04-01T00:00:00.000Z',
      to: '2026-04-01T00:00:00.000Z',
      granularity: 'MONTH',
    });
    expect(trendPeriod(instant, 'WEEK', 12)).toEqual({
      from: '2025-12-15T00:00:00.000Z',
      to: '2026-03-09T00:00:00.000Z',
      granularity: 'WEEK',
    });
  });
});

describe('societySeries', () => {
  it('gives every society a value per bucket, 0 where it had no car, the largest fleet first', () => {
    const series = societySeries([
      { groups: [{ key: { society: 'Lyon' }, carCountAtEnd: 2 }] },
      {
        groups: [
          { key: { society: 'Paris' }, carCountAtEnd: 5 },
          { key: { society: 'Lyon' }, carCountAtEnd: 3 },
        ],
      },
      { groups: [{ key: { society: null }, carCountAtEnd: 1 }] },
      {
        groups: [
          { key: { society: 'Paris' }, carCountAtEnd: 4 },
          { key: { society: 'Lyon' }, carCountAtEnd: 4 },
        ],
      },
    ]);
    expect(series).toEqual([
      { name: 'Lyon', values: [2, 3, 0, 4] },
      { name: 'Paris', values: [0, 5, 0, 4] },
      { name: NO_SOCIETY, values: [0, 0, 1, 0] },
    ]);
  });

  it('leaves out a society with no car at any bucket’s end (its cars came and went within a bucket)', () => {
    const series = societySeries([
      { groups: [{ key: { society: null }, carCountAtEnd: 0 }] },
      { groups: [{ key: { society: 'Lyon' }, carCountAtEnd: 2 }] },
    ]);
    expect(series).toEqual([{ name: 'Lyon', values: [0, 2] }]);
  });

  it('is empty without buckets or groups', () => {
    expect(societySeries([])).toEqual([]);
    expect(societySeries([{ groups: [] }])).toEqual([]);
  });
});

describe('countAxis', () => {
  it('rounds the top up to 1, 2 or 5 times a power of ten, in whole steps from 0', () => {
    expect(countAxis(40)).toEqual([0, 10, 20, 30, 40]);
    expect(countAxis(37)).toEqual([0, 10, 20, 30, 40]);
    expect(countAxis(3)).toEqual([0, 1, 2, 3]);
    expect(countAxis(0)).toEqual([0, 1]);
    expect(countAxis(1234)).toEqual([0, 500, 1000, 1500]);
  });
});

describe('localInputOf', () => {
  it('is the inverse of instantOf, to the second', () => {
    const instant = new Date(2026, 10, 22, 7, 15, 6).toISOString();
    expect(localInputOf(instant)).toBe('2026-11-22T07:15:06');
    expect(instantOf(localInputOf(instant))).toBe(instant);
  });

  it('is empty for no instant or an invalid one', () => {
    expect(localInputOf('')).toBe('');
    expect(localInputOf(undefined)).toBe('');
    expect(localInputOf('yesterday')).toBe('');
  });
});

describe('reportParamsOf and filterOf', () => {
  it('read the address, with the defaults for what it leaves out', () => {
    expect(reportParamsOf(new URLSearchParams('groupBy=BRAND,SOCIETY&brand=Renault&trend=DAY'))).toEqual({
      groupBy: 'BRAND,SOCIETY',
      society: '',
      costCenter: '',
      brand: 'Renault',
      model: '',
      asOf: '',
      trend: 'MONTH',
    });
    expect(reportParamsOf(new URLSearchParams('')).groupBy).toBe('SOCIETY');
    expect(reportParamsOf(new URLSearchParams('groupBy=none')).groupBy).toBe('none');
  });

  it('filter by each value set, except on a dimension the caller was refused', () => {
    const params = reportParamsOf(new URLSearchParams('society=Acme&costCenter=cc-1&brand=Renault&model=Clio'));
    expect(filterOf(params, [])).toEqual({
      societyNames: ['Acme'],
      costCenterIds: ['cc-1'],
      brands: ['Renault'],
      models: ['Clio'],
    });
    expect(filterOf(params, ['BRAND', 'MODEL'])).toEqual({ societyNames: ['Acme'], costCenterIds: ['cc-1'] });
    expect(filterOf(reportParamsOf(new URLSearchParams('')), [])).toEqual({});
  });
});
