import { ANONYMOUS, type CallerIdentity } from '@car-check/service-kit';
import { BACKENDS } from '@car-check/test-support/config';
import { dataOf, errorCodesByPath } from '@car-check/test-support/graphql';
import { waitFor } from '@car-check/test-support/waitFor';
import {
  fleetHistory,
  replayAt,
  replayChanges,
  startReportUnderTest,
  type Facts,
  type ReplayedChange,
  type ReportUnderTest,
} from './reportHarness';

type Dimension = 'SOCIETY' | 'COST_CENTER' | 'MANAGER' | 'BRAND' | 'MODEL';
type Filter = Partial<Record<'societyNames' | 'costCenterIds' | 'managerIds' | 'brands' | 'models', string[]>>;

const FACT: Record<Dimension, keyof Facts> = {
  SOCIETY: 'society',
  COST_CENTER: 'costCenter',
  MANAGER: 'manager',
  BRAND: 'brand',
  MODEL: 'model',
};

const KEY_FIELDS = 'key { society costCenter { id } manager { id } brand model }';

interface Key {
  society: string | null;
  costCenter: { id: string } | null;
  manager: { id: string } | null;
  brand: string | null;
  model: string | null;
}

/** A group's key as the oracle writes it: the values of groupBy, in its order. */
const keyString = (groupBy: readonly Dimension[], key: Key): string =>
  JSON.stringify(
    groupBy.map((dimension) => {
      const value = key[FACT[dimension] as keyof Key];
      return value !== null && typeof value === 'object' ? value.id : value;
    }),
  );

function passes(facts: Facts, filter: Filter): boolean {
  const lists: [keyof Facts, string[] | undefined][] = [
    ['society', filter.societyNames],
    ['costCenter', filter.costCenterIds],
    ['manager', filter.managerIds],
    ['brand', filter.brands],
    ['model', filter.models],
  ];
  // Ids match whatever their case (a UUID is the same in capitals); texts exactly.
  const same = (fact: keyof Facts, value: string) =>
    fact === 'costCenter' || fact === 'manager' ? value.toLowerCase() === facts[fact] : value === facts[fact];
  return lists.every(([fact, values]) => !values?.length || values.some((value) => same(fact, value)));
}

const groupOf =
  (groupBy: readonly Dimension[], filter: Filter) =>
  (facts: Facts): string | null =>
    passes(facts, filter) ? JSON.stringify(groupBy.map((dimension) => facts[FACT[dimension]])) : null;

function countBy(cars: readonly Facts[], group: (facts: Facts) => string | null): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const car of cars) {
    const key = group(car);
    if (key !== null) counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

interface GroupsPage {
  fleetReport: { groups: { edges: { cursor: string; node: { key: Key } }[]; pageInfo: PageInfo; totalCount: number } };
}

interface CarsPage {
  fleetReport: {
    groups: {
      edges: {
        node: { carCount: number; cars: { totalCount: number; edges: { node: { id: string } }[]; pageInfo: PageInfo } };
      }[];
    };
  };
}

const caller = (scopes: string[]): CallerIdentity => ({
  ...ANONYMOUS,
  userId: '00000000-0000-4000-8000-000000000001',
  scopes,
});

describe.each(BACKENDS)('report API (%s)', (backend) => {
  let service: ReportUnderTest;
  // About 160 changes five hours apart: a month and more, across weeks and a month's end.
  const history = fleetHistory(3, {
    cars: 30,
    steps: 130,
    start: new Date('2026-01-20T08:00:00.000Z'),
    stepMs: 5 * 3_600_000,
  });
  const someCar = replayAt(history.events, history.end).find((car) => car.costCenter && car.manager)!;

  beforeAll(async () => {
    service = await startReportUnderTest(backend);
    service.publish(history.events);
    await service.caughtUp();
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
  });

  async function report(groupBy: readonly Dimension[], filter: Filter | null = null, first = 100) {
    const data = dataOf(
      await service.query<{
        fleetReport: {
          totalCars: number;
          groups: { totalCount: number; edges: { node: { key: Key; carCount: number } }[] };
        };
      }>(
        `query($groupBy: [FleetDimension!]!, $filter: FleetFilter, $first: Int) {
          fleetReport(groupBy: $groupBy, filter: $filter) { totalCars groups(first: $first) { totalCount edges { node { ${KEY_FIELDS} carCount } } } }
        }`,
        { groupBy, filter, first },
      ),
    );
    return data.fleetReport;
  }

  const cases: [readonly Dimension[], Filter | null][] = [
    [[], null],
    [['SOCIETY'], null],
    [['COST_CENTER'], null],
    [['MANAGER'], null],
    [['BRAND'], null],
    [['MODEL'], null],
    [['MODEL', 'SOCIETY'], null],
    [['SOCIETY', 'COST_CENTER', 'MANAGER', 'BRAND', 'MODEL'], null],
    [['BRAND'], { societyNames: ['Lyon SA', 'Paris SAS'] }],
    [['SOCIETY'], { brands: ['Renault'], models: ['Clio', '208'] }],
    [['COST_CENTER'], { managerIds: [someCar.manager!] }],
    [[], { costCenterIds: [someCar.costCenter!.toUpperCase()], brands: [] }],
  ];

  it.each(cases)('groups by %j with filter %j as the owners’ data says', async (groupBy, filter) => {
    const expected = countBy(replayAt(history.events, new Date()), groupOf(groupBy, filter ?? {}));
    const answer = await report(groupBy, filter);
    const got = Object.fromEntries(
      answer.groups.edges.map(({ node }) => [keyString(groupBy, node.key), node.carCount]),
    );
    expect(got).toEqual(expected);
    expect(answer.totalCars).toBe(Object.values(expected).reduce((total, count) => total + count, 0));
    // Keys name only the dimensions grouped by.
    for (const { node } of answer.groups.edges) {
      for (const [dimension, fact] of Object.entries(FACT) as [Dimension, keyof Key][]) {
        if (!groupBy.includes(dimension)) expect(node.key[fact]).toBeNull();
      }
    }
  });

  it('orders groups by car count, then key, and pages through them without gaps or overlaps', async () => {
    const whole = await report(['COST_CENTER', 'MODEL']);
    const counts = whole.groups.edges.map(({ node }) => node.carCount);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const data: GroupsPage = dataOf(
        await service.query<GroupsPage>(
          `query($after: String) { fleetReport(groupBy: [COST_CENTER, MODEL]) {
            groups(first: 3, after: $after) { totalCount edges { cursor node { ${KEY_FIELDS} } } pageInfo { hasNextPage endCursor } } } }`,
          { after },
        ),
      );
      const groups: GroupsPage['fleetReport']['groups'] = data.fleetReport.groups;
      expect(groups.totalCount).toBe(whole.groups.totalCount);
      seen.push(...groups.edges.map(({ node }) => keyString(['COST_CENTER', 'MODEL'], node.key)));
      if (!groups.pageInfo.hasNextPage) break;
      after = groups.pageInfo.endCursor;
    }
    expect(seen).toEqual(whole.groups.edges.map(({ node }) => keyString(['COST_CENTER', 'MODEL'], node.key)));
  });

  it('answers a whole report in one page of up to 1,000 groups', async () => {
    const groupBy: Dimension[] = ['SOCIETY', 'COST_CENTER', 'MANAGER', 'BRAND', 'MODEL'];
    const whole = await report(groupBy, null, 1000);
    expect(whole.groups.edges).toHaveLength(whole.groups.totalCount);
    expect(whole.groups.totalCount).toBeGreaterThan(3);
    const firstThree = await report(groupBy, null, 3);
    expect(whole.groups.edges.slice(0, 3)).toEqual(firstThree.groups.edges);
  });

  it('pages through a group’s cars by id', async () => {
    const expected = replayAt(history.events, new Date())
      .filter((car) => car.brand === someCar.brand)
      .map((car) => car.id)
      .sort();
    const ids: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const data: CarsPage = dataOf(
        await service.query<CarsPage>(
          `query($brand: String!, $after: String) { fleetReport(groupBy: [BRAND], filter: { brands: [$brand] }) {
            groups { edges { node { carCount cars(first: 4, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } } } } } }`,
          { brand: someCar.brand, after },
        ),
      );
      const group: CarsPage['fleetReport']['groups']['edges'][number] | undefined = data.fleetReport.groups.edges[0];
      expect(group!.node.cars.totalCount).toBe(expected.length);
      ids.push(...group!.node.cars.edges.map((edge) => edge.node.id));
      if (!group!.node.cars.pageInfo.hasNextPage) break;
      after = group!.node.cars.pageInfo.endCursor;
    }
    expect(ids).toEqual(expected);
  });

  describe('fleetChanges', () => {
    interface ChangeGroup extends ReplayedChange {
      key: Key;
      carCountAtEnd: number;
    }
    async function changes(granularity: string, groupBy: readonly Dimension[], filter: Filter | null) {
      const data = dataOf(
        await service.query<{ fleetChanges: { buckets: { start: string; end: string; groups: ChangeGroup[] }[] } }>(
          `query($period: FleetPeriod!, $groupBy: [FleetDimension!]!, $filter: FleetFilter) {
            fleetChanges(period: $period, groupBy: $groupBy, filter: $filter) { buckets { start end groups {
              ${KEY_FIELDS} added removed movedIn movedOut carCountAtEnd } } } }`,
          {
            period: { from: '2026-01-21T13:30:00.000Z', to: '2026-02-25T00:00:00.000Z', granularity },
            groupBy,
            filter,
          },
        ),
      );
      return data.fleetChanges.buckets;
    }

    it.each([
      ['DAY', [], null],
      ['WEEK', ['SOCIETY'], null],
      ['MONTH', ['BRAND', 'COST_CENTER'], { brands: ['Renault', 'Peugeot'] }],
      ['WEEK', ['MANAGER', 'MODEL'], { societyNames: ['Lyon SA'] }],
    ] as [string, Dimension[], Filter | null][])(
      '%s buckets by %j with filter %j count what a replay of the events counts',
      async (granularity, groupBy, filter) => {
        const buckets = await changes(granularity, groupBy, filter);
        const periods = buckets.map((bucket) => ({ start: new Date(bucket.start), end: new Date(bucket.end) }));
        const group = groupOf(groupBy, filter ?? {});
        const replayed = replayChanges(history.events, periods, group);
        for (const [index, bucket] of buckets.entries()) {
          const start = periods[index]!.start;
          const atEnd = countBy(replayAt(history.events, new Date(periods[index]!.end.getTime() - 1)), group);
          const expected: Record<string, ReplayedChange & { carCountAtEnd: number }> = {};
          for (const key of new Set([...Object.keys(atEnd), ...(replayed.get(start.toISOString())?.keys() ?? [])])) {
            expected[key] = {
              added: 0,
              removed: 0,
              movedIn: 0,
              movedOut: 0,
              ...replayed.get(start.toISOString())?.get(key),
              carCountAtEnd: atEnd[key] ?? 0,
            };
          }
          const got = Object.fromEntries(bucket.groups.map(({ key, ...counts }) => [keyString(groupBy, key), counts]));
          expect({ bucket: bucket.start, groups: got }).toEqual({ bucket: bucket.start, groups: expected });
        }
        expect(buckets.some((bucket) => bucket.groups.some((each) => each.movedIn + each.added > 0))).toBe(true);
      },
      60_000,
    );

    it('cuts the period at UTC days, ISO weeks (Monday) and months, the first and last bucket to the period', async () => {
      const day = await changes('DAY', [], null);
      expect(day).toHaveLength(35);
      expect(day[0]).toMatchObject({ start: '2026-01-21T13:30:00.000Z', end: '2026-01-22T00:00:00.000Z' });
      expect(day[1]).toMatchObject({ start: '2026-01-22T00:00:00.000Z', end: '2026-01-23T00:00:00.000Z' });
      expect(day.at(-1)).toMatchObject({ start: '2026-02-24T00:00:00.000Z', end: '2026-02-25T00:00:00.000Z' });
      const week = await changes('WEEK', [], null);
      expect(week.map((bucket) => bucket.start)).toEqual([
        '2026-01-21T13:30:00.000Z',
        '2026-01-26T00:00:00.000Z',
        '2026-02-02T00:00:00.000Z',
        '2026-02-09T00:00:00.000Z',
        '2026-02-16T00:00:00.000Z',
        '2026-02-23T00:00:00.000Z',
      ]);
      expect(week.at(-1)!.end).toBe('2026-02-25T00:00:00.000Z');
      const month = await changes('MONTH', [], null);
      expect(month.map((bucket) => [bucket.start, bucket.end])).toEqual([
        ['2026-01-21T13:30:00.000Z', '2026-02-01T00:00:00.000Z'],
        ['2026-02-01T00:00:00.000Z', '2026-02-25T00:00:00.000Z'],
      ]);
    });
  });

  it('says how fresh the figures are, per owner', async () => {
    const last = (owner: string) => history.events.filter((event) => event.source === `/subgraphs/${owner}`).at(-1)!;
    const query = `{ fleetReport(groupBy: []) { freshness { asOf lagSeconds positions { owner sequence eventTime caughtUpAt } } } }`;
    let freshness: {
      asOf: string | null;
      lagSeconds: number | null;
      positions: { owner: string; sequence: number | null; eventTime: string | null; caughtUpAt: string | null }[];
    } | null = null;
    await waitFor(
      async () => {
        freshness = dataOf(await service.query<{ fleetReport: { freshness: NonNullable<typeof freshness> } }>(query))
          .fleetReport.freshness;
        return freshness.asOf !== null;
      },
      20_000,
      'every consumer caught up once',
    );
    const { asOf, lagSeconds, positions } = freshness!;
    expect(positions.map((position) => position.owner)).toEqual(['car', 'cost-center', 'user']);
    for (const position of positions) {
      expect(position).toMatchObject({
        sequence: Number(last(position.owner).sequence),
        eventTime: last(position.owner).time,
      });
      expect(Date.parse(position.caughtUpAt!)).toBeGreaterThanOrEqual(Date.parse(asOf!));
    }
    expect(lagSeconds).toBeGreaterThanOrEqual(0);
    expect(lagSeconds).toBeLessThan(60);
  });

  describe('authorization: only aggregates over data the caller may read', () => {
    const viewer = caller(['car:read', 'cost-center:read', 'report:read']);
    const ask = (query: string, who: CallerIdentity) => service.query(query, {}, who);

    it('lets a viewer group and filter by what they may read', async () => {
      const answer = await ask(
        '{ fleetReport(groupBy: [SOCIETY, BRAND], filter: { models: ["Clio"] }) { totalCars } }',
        viewer,
      );
      expect(answer.errors).toBeUndefined();
    });

    it.each([
      ['{ fleetReport(groupBy: [MANAGER]) { totalCars } }', ['fleetReport']],
      [
        '{ fleetReport(groupBy: [BRAND], filter: { managerIds: ["00000000-0000-4000-8000-000000000002"] }) { totalCars } }',
        ['fleetReport'],
      ],
      [
        '{ fleetChanges(period: { from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z", granularity: DAY }, groupBy: [MANAGER]) { buckets { start } } }',
        ['fleetChanges'],
      ],
    ])('refuses a viewer %s with PERMISSION_DENIED on the field', async (query, path) => {
      const answer = await ask(query, viewer);
      expect(errorCodesByPath(answer)).toEqual([[path, 'PERMISSION_DENIED']]);
      expect(answer.data).toEqual({ [path[0]!]: null });
    });

    it('counts the whole fleet for report:read alone, and nothing more', async () => {
      const only = caller(['report:read']);
      expect((await ask('{ fleetReport(groupBy: []) { totalCars } }', only)).errors).toBeUndefined();
      expect(errorCodesByPath(await ask('{ fleetReport(groupBy: [BRAND]) { totalCars } }', only))).toEqual([
        [['fleetReport'], 'PERMISSION_DENIED'],
      ]);
      expect(
        errorCodesByPath(
          await ask('{ fleetReport(groupBy: [], filter: { societyNames: ["Lyon SA"] }) { totalCars } }', only),
        ),
      ).toEqual([[['fleetReport'], 'PERMISSION_DENIED']]);
    });

    it('refuses a caller without report:read', async () => {
      const answer = await ask(
        '{ fleetReport(groupBy: []) { totalCars } }',
        caller(['car:read', 'cost-center:read', 'user:read']),
      );
      expect(errorCodesByPath(answer)).toEqual([[['fleetReport'], 'PERMISSION_DENIED']]);
    });
  });

  describe('bounds on what a client sends', () => {
    it.each([
      [
        'a filter list of 101 values',
        `{ fleetReport(groupBy: [], filter: { brands: [${Array.from({ length: 101 }, (_, i) => `"B${i}"`).join(',')}] }) { totalCars } }`,
        'INVALID_ARGUMENT',
      ],
      ['a dimension twice', '{ fleetReport(groupBy: [BRAND, BRAND]) { totalCars } }', 'INVALID_ARGUMENT'],
      [
        'a malformed id in a filter',
        '{ fleetReport(groupBy: [], filter: { costCenterIds: ["nope"] }) { totalCars } }',
        'INVALID_ARGUMENT',
      ],
      [
        'more than 1,000 groups a page',
        '{ fleetReport(groupBy: []) { groups(first: 1001) { totalCount } } }',
        'OUT_OF_RANGE',
      ],
      [
        'more than 100 cars a page',
        '{ fleetReport(groupBy: []) { groups { edges { node { cars(first: 101) { totalCount } } } } } }',
        'OUT_OF_RANGE',
      ],
      [
        'a cursor it did not make',
        '{ fleetReport(groupBy: [BRAND]) { groups(after: "bm9wZQ") { totalCount } } }',
        'INVALID_ARGUMENT',
      ],
      [
        '401 daily buckets',
        '{ fleetChanges(period: { from: "2025-01-01T00:00:00Z", to: "2026-02-06T00:00:00Z", granularity: DAY }) { buckets { start } } }',
        'INVALID_ARGUMENT',
      ],
      [
        'a period that ends before it starts',
        '{ fleetChanges(period: { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z", granularity: DAY }) { buckets { start } } }',
        'INVALID_ARGUMENT',
      ],
    ])('refuses %s', async (_what, query, code) => {
      const answer = await service.query(query);
      expect(errorCodesByPath(answer).map(([, each]) => each)).toEqual([code]);
    });

    it('accepts exactly 400 daily buckets', async () => {
      const answer = await service.query<{ fleetChanges: { buckets: unknown[] } }>(
        '{ fleetChanges(period: { from: "2025-01-01T00:00:00Z", to: "2026-02-05T00:00:00Z", granularity: DAY }) { buckets { start } } }',
      );
      expect(dataOf(answer).fleetChanges.buckets).toHaveLength(400);
    });
  });
});
