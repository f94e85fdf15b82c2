import type { CloudEvent } from '@car-check/events';
import { BACKENDS } from '@car-check/test-support/config';
import { applyReportEvent, applyReportEvents } from '../src/readModel/store';
import {
  emptyReadModel,
  fleetHistory,
  random,
  snapshot,
  startReportUnderTest,
  type ReportUnderTest,
} from './reportHarness';

/**
 * Deliveries as a feed and a broker can make them: every event once or up to three times, in a
 * shuffled order (a car's update before its creation, a cost center after its cars).
 */
function deliveries(events: readonly CloudEvent[], next: () => number): CloudEvent[] {
  return events
    .flatMap((event) => Array.from({ length: 1 + Math.floor(next() * 3) }, () => event))
    .map((event) => ({ event, order: next() }))
    .sort((a, b) => a.order - b.order)
    .map(({ event }) => event);
}

/** Cuts `events` into pages of 1 to `largest` events, mixing owners, repeats and a car's events in one page. */
function pages(events: readonly CloudEvent[], next: () => number, largest: number): CloudEvent[][] {
  const result: CloudEvent[][] = [];
  for (let index = 0; index < events.length;) {
    const size = 1 + Math.floor(next() * largest);
    result.push(events.slice(index, index + size));
    index += size;
  }
  return result;
}

describe.each(BACKENDS)('the report applied a page at a time (%s)', (backend) => {
  let service: ReportUnderTest;

  beforeAll(async () => {
    service = await startReportUnderTest(backend);
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
  });

  afterEach(async () => {
    await emptyReadModel(service.prisma);
  });

  it.each([11, 12, 13])(
    'gives exactly the tables applying the same deliveries one by one gives (seed %i)',
    async (seed) => {
      // Creates, updates (models, cost-center moves, managers, societies) and deletes of cars.
      const history = fleetHistory(seed, { cars: 25, steps: 120 });
      const next = random(seed * 31);
      const delivered = deliveries(history.events, next);

      for (const event of delivered) await service.prisma.$transaction((tx) => applyReportEvent(tx, event));
      const oneByOne = await snapshot(service.prisma);
      expect(oneByOne.events).toBe(history.events.length);
      expect(oneByOne.rollup.length).toBeGreaterThan(0);

      await emptyReadModel(service.prisma);
      for (const page of pages(delivered, next, 60))
        await service.prisma.$transaction((tx) => applyReportEvents(tx, page));
      expect(await snapshot(service.prisma)).toEqual(oneByOne);

      // Pages delivered again (a consumer's redelivery, a second instance) change nothing.
      for (const page of pages(deliveries(history.events, next), next, 200))
        await service.prisma.$transaction((tx) => applyReportEvents(tx, page));
      expect(await snapshot(service.prisma)).toEqual(oneByOne);
    },
    120_000,
  );

  it('refuses a whole page that holds one bad event, storing none of it', async () => {
    const history = fleetHistory(14, { cars: 5, steps: 0 });
    const cars = history.events.filter((event) => event.source === '/subgraphs/car');
    const bad: CloudEvent = {
      ...cars[2]!,
      data: { ...cars[2]!.data, changes: [{ field: 'brand', from: null, to: 42 }] },
    };
    const page = [...cars.slice(0, 2), bad, ...cars.slice(3)];
    await expect(service.prisma.$transaction((tx) => applyReportEvents(tx, page))).rejects.toThrow(/brand/);
    expect(await snapshot(service.prisma)).toEqual({ cars: [], costCenters: [], users: [], rollup: [], events: 0 });
  }, 60_000);
});
