import type { CloudEvent } from '@car-check/events';
import { BACKENDS } from '@car-check/test-support/config';
import { dataOf } from '@car-check/test-support/graphql';
import { TEST_SIGNING_SECRET } from '@car-check/test-support/secrets';
import { rebuildReportModel } from '../src/readModel/consumers';
import { CHECKPOINT_EVERY, takeCheckpoints } from '../src/readModel/checkpoints';
import { applyReportEvent, applyReportEvents } from '../src/readModel/store';
import {
  emptyReadModel,
  fleetHistory,
  random,
  replayAt,
  snapshot,
  startReportUnderTest,
  type ReplayedCar,
  type ReportUnderTest,
} from './reportHarness';

const ALL_DIMENSIONS = ['SOCIETY', 'COST_CENTER', 'MANAGER', 'BRAND', 'MODEL'] as const;

interface Group {
  key: {
    society: string | null;
    costCenter: { id: string } | null;
    manager: { id: string } | null;
    brand: string | null;
    model: string | null;
  };
  carCount: number;
  cars: { edges: { node: { id: string } }[] };
}

/** The replayed cars grouped by all five values, as sorted strings `society|costCenter|manager|brand|model=count`. */
function replayedGroups(cars: readonly ReplayedCar[]): string[] {
  const counts = new Map<string, number>();
  for (const car of cars) {
    const key = [car.society, car.costCenter, car.manager, car.brand, car.model].join('|');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${key}=${count}`).sort();
}

const reportedGroups = (groups: readonly Group[]): string[] =>
  groups
    .map(
      ({ key, carCount }) =>
        `${[key.society, key.costCenter?.id ?? null, key.manager?.id ?? null, key.brand, key.model].join('|')}=${carCount}`,
    )
    .sort();

describe.each(BACKENDS)('report read model (%s)', (backend) => {
  let service: ReportUnderTest;

  beforeAll(async () => {
    service = await startReportUnderTest(backend);
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
  });

  async function applyAll(events: readonly CloudEvent[]) {
    for (const event of events) await service.prisma.$transaction((tx) => applyReportEvent(tx, event));
  }

  async function groupsAt(asOf: Date | null): Promise<{ groups: Group[]; totalCars: number }> {
    const read = () =>
      service.query<{ fleetReport: { totalCars: number; groups: { edges: { node: Group }[] } } }>(
        `query($groupBy: [FleetDimension!]!, $asOf: DateTime) {
          fleetReport(groupBy: $groupBy, asOf: $asOf) { totalCars groups(first: 100) { edges { node {
            key { society costCenter { id } manager { id } brand model } carCount cars(first: 100) { edges { node { id } } }
          } } } } }`,
        { groupBy: ALL_DIMENSIONS, asOf: asOf?.toISOString() ?? null },
      );
    // A read after a long stretch of applying events (the embedded database holds this process's
    // event loop) may go out on a kept-alive connection the server has just closed as idle (a reset,
    // or undici's "other side closed"): the report is only read, so it is asked again once.
    const data = dataOf(
      await read().catch((error: unknown) => {
        const code = (error as { cause?: { code?: string } }).cause?.code;
        if (code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET') throw error;
        return read();
      }),
    );
    return { totalCars: data.fleetReport.totalCars, groups: data.fleetReport.groups.edges.map((edge) => edge.node) };
  }

  /** Reads the report as of `instant` and expects the groups a replay of `events` up to it gives. */
  async function expectGroupsAsReplayed(events: readonly CloudEvent[], instant: Date) {
    const replayed = replayAt(events, instant);
    const report = await groupsAt(instant);
    expect({ instant, groups: reportedGroups(report.groups) }).toEqual({ instant, groups: replayedGroups(replayed) });
    return { replayed, report };
  }

  it('ends in the same state whatever the order of the events and however often each arrives', async () => {
    const history = fleetHistory(1, { cars: 20, steps: 60 });
    await applyAll(history.events);
    const inOrder = await snapshot(service.prisma);
    expect(inOrder.cars.length).toBeGreaterThan(20);

    await emptyReadModel(service.prisma);
    const next = random(7);
    const shuffled = history.events
      .flatMap((event) => Array.from({ length: 1 + Math.floor(next() * 3) }, () => event))
      .map((event) => ({ event, order: next() }))
      .sort((a, b) => a.order - b.order)
      .map(({ event }) => event);
    await applyAll(shuffled);
    expect(await snapshot(service.prisma)).toEqual(inOrder);
    await emptyReadModel(service.prisma);
  }, 120_000);

  it('answers asOf through checkpoints exactly, with late events dropping the checkpoints they reach', async () => {
    try {
      const history = fleetHistory(3, { cars: 25, steps: 90 });
      // Late and repeated events: a quarter of them arrive after the others.
      const next = random(11);
      const late = history.events.filter(() => next() < 0.25);
      const onTime = history.events.filter((event) => !late.includes(event));
      let taken = 0;
      let dropped = 0;
      const count = async () => service.prisma.fleetCheckpoint.count();
      for (const event of [...onTime, ...late, ...late.slice(0, 5)]) {
        await service.prisma.$transaction(async (tx) => {
          const held = await tx.fleetCheckpoint.count();
          await applyReportEvent(tx, event);
          const kept = await tx.fleetCheckpoint.count();
          dropped += held - kept;
          // Every few versions, so that this small history has many checkpoints.
          await takeCheckpoints(tx, 7);
          taken += (await tx.fleetCheckpoint.count()) - kept;
        });
      }
      expect(taken).toBeGreaterThan(5);
      expect(dropped).toBeGreaterThan(0);
      expect(await count()).toBeGreaterThan(0);

      const span = history.end.getTime() - history.start.getTime();
      const instants = [
        new Date(history.start.getTime() - 1),
        ...Array.from(
          { length: 12 },
          (_, index) => new Date(history.start.getTime() + Math.round((span * index) / 11)),
        ),
        ...history.events.filter((_, index) => index % 9 === 0).map((event) => new Date(event.time)),
      ];
      for (const instant of instants) {
        const { replayed, report } = await expectGroupsAsReplayed(history.events, instant);
        expect(report.totalCars).toBe(replayed.length);
      }
    } finally {
      // The next tests start from an empty model, whatever happened here.
      await emptyReadModel(service.prisma);
    }
  }, 120_000);

  it('takes checkpoints as the consumer applies pages, with its default interval, and answers asOf exactly', async () => {
    try {
      // Just over CHECKPOINT_EVERY car versions (a fleet created first, then changes), so that the pages
      // cross the default interval once, with pages still to come after it: 5,467 versions in 6,248
      // events (a smaller fleet changed more often took 8,202 events for 5,607), the first checkpoint
      // nine tenths of the way through.
      const history = fleetHistory(4, { cars: 0.8 * CHECKPOINT_EVERY, steps: 0.6 * CHECKPOINT_EVERY });
      for (let index = 0; index < history.events.length; index += 500) {
        const page = history.events.slice(index, index + 500);
        await service.prisma.$transaction((tx) => applyReportEvents(tx, page), { timeout: 60_000 });
      }
      expect(await service.prisma.fleetCheckpoint.count()).toBeGreaterThan(0);
      const first = (await service.prisma.fleetCheckpoint.aggregate({ _min: { at: true } }))._min.at!;
      const span = history.end.getTime() - history.start.getTime();
      const instants = [0.05, 0.3, 0.6, 0.8, 0.97].map(
        (share) => new Date(history.start.getTime() + Math.round(span * share)),
      );
      // Instants answered from the versions alone and from the checkpoint.
      expect(instants.some((instant) => instant < first) && instants.some((instant) => instant >= first)).toBe(true);
      for (const instant of instants) {
        await expectGroupsAsReplayed(history.events, instant);
      }
    } finally {
      // The next tests start from an empty model, whatever happened here.
      await emptyReadModel(service.prisma);
    }
  }, 180_000);

  describe('fed by the owners’ feeds', () => {
    const history = fleetHistory(2, { cars: 30, steps: 80 });

    beforeAll(async () => {
      service.publish(history.events);
      await service.caughtUp();
    }, 60_000);

    it('answers asOf with the state a replay of the events up to that instant gives', async () => {
      const span = history.end.getTime() - history.start.getTime();
      const instants = [
        new Date(history.start.getTime() - 1),
        ...[0.1, 0.35, 0.5, 0.8].map((share) => new Date(history.start.getTime() + Math.round(span * share))),
        // Exactly an event's time: that event is included.
        new Date(history.events[45]!.time),
        history.end,
      ];
      for (const instant of instants) {
        const { replayed, report } = await expectGroupsAsReplayed(history.events, instant);
        expect(report.totalCars).toBe(replayed.length);
        const listed = report.groups.flatMap((group) => group.cars.edges.map((edge) => edge.node.id)).sort();
        expect(listed).toEqual(replayed.map((car) => car.id).sort());
      }
    }, 60_000);

    it('answers now from the rollup with the same figures as the versions', async () => {
      const current = await groupsAt(null);
      expect(reportedGroups(current.groups)).toEqual(replayedGroups(replayAt(history.events, new Date())));
    }, 30_000);

    it('rebuilds from the feeds to exactly the incremental model', async () => {
      const incremental = await snapshot(service.prisma);
      const consumers = Object.values(service.services.consumers);
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      try {
        const reports = await rebuildReportModel({
          prisma: service.prisma,
          config: service.subgraph.config,
          signingSecret: TEST_SIGNING_SECRET,
        });
        expect(Object.values(reports).reduce((total, report) => total + report.applied, 0)).toBe(history.events.length);
        expect(await snapshot(service.prisma)).toEqual(incremental);
      } finally {
        for (const consumer of consumers) consumer.start();
      }
    }, 60_000);
  });
});
