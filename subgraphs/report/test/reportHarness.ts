import { randomUUID } from 'node:crypto';
import { formatSequence, type CloudEvent } from '@car-check/events';
import type { Backend } from '@car-check/test-support/config';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';
import type { PrismaClient } from '../src/prisma';
import type { ReportServices } from '../src/services';

/** The report subgraph alone, its owners' feeds faked, polling fast. */
export interface ReportUnderTest extends SubgraphUnderTest {
  prisma: PrismaClient;
  services: ReportServices;
  /** Puts events in their owners' fake feeds (each owner's in sequence order). */
  publish(events: readonly CloudEvent[]): void;
  /** Resolves once every consumer's cursor reached its owner's last published sequence. */
  caughtUp(): Promise<void>;
}

export async function startReportUnderTest(backend: Backend): Promise<ReportUnderTest> {
  const service = await startSubgraphUnderTest('report', backend, { env: { EVENTS_POLL_MS: '50' } });
  const prisma = service.subgraph.prisma as PrismaClient;
  return {
    ...service,
    prisma,
    services: service.subgraph.services as ReportServices,
    publish(events) {
      for (const event of events) service.peers[ownerOf(event)]!.events.push(event);
      for (const peer of Object.values(service.peers)) peer.events.sort((a, b) => a.sequence.localeCompare(b.sequence));
    },
    async caughtUp() {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const cursors = await prisma.eventCursor.findMany();
        const behind = Object.entries(service.peers).filter(([owner, peer]) => {
          const last = peer.events.at(-1);
          const cursor = cursors.find((row) => row.consumer === `report-${owner}`);
          return last !== undefined && (cursor?.position ?? 0n) < BigInt(last.sequence);
        });
        if (behind.length === 0) return;
        if (Date.now() > deadline) throw new Error(`consumers behind: ${behind.map(([owner]) => owner).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

export const ownerOf = (event: CloudEvent): string => event.source.replace('/subgraphs/', '');

/** A deterministic pseudo-random source (mulberry32), so a failing history can be replayed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface History {
  events: CloudEvent[];
  start: Date;
  end: Date;
}

const SOCIETIES = ['Lyon SA', 'Paris SAS', 'Nantes SARL'];
const BRANDS: Record<string, string[]> = { Renault: ['Clio', 'Zoe'], Peugeot: ['208', '308'], Tesla: ['Model 3'] };

/**
 * A fleet's history as the owners would publish it: cost centers created and updated (society,
 * manager), cars created, moved, changed and deleted, one change every `stepMs` (a minute) from `start`, each
 * owner's events in sequence order and each entity's in revision order.
 */
export function fleetHistory(
  seed: number,
  options: { cars?: number; steps?: number; start?: Date; stepMs?: number } = {},
): History {
  const next = random(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const start = options.start ?? new Date(Date.UTC(2026, 0, 5, 8));
  const sequences = new Map<string, number>();
  const revisions = new Map<string, number>();
  const events: CloudEvent[] = [];
  const stepMs = options.stepMs ?? 60_000;
  let minute = 0;
  const emit = (owner: string, action: string, subject: string, changes: CloudEvent['data']['changes']) => {
    const sequence = (sequences.get(owner) ?? 0) + 1;
    sequences.set(owner, sequence);
    const revision = (revisions.get(subject) ?? 0) + 1;
    revisions.set(subject, revision);
    events.push({
      specversion: '1.0',
      id: randomUUID(),
      source: `/subgraphs/${owner}`,
      type: `${owner}.${action}` as CloudEvent['type'],
      subject,
      time: new Date(start.getTime() + minute++ * stepMs).toISOString(),
      datacontenttype: 'application/json',
      sequence: formatSequence(sequence),
      data: { revision, changes, actorId: null, requestId: randomUUID(), traceId: null },
    });
  };
  const managers = [randomUUID(), randomUUID(), randomUUID()];
  for (const manager of managers) {
    emit('user', 'created', manager, [{ field: 'username', from: null, to: `manager-${manager.slice(0, 4)}` }]);
  }
  const costCenters = SOCIETIES.flatMap((society) => [randomUUID(), randomUUID()].map((id) => ({ id, society })));
  const state = new Map<string, { society: string; manager: string }>();
  for (const { id, society } of costCenters) {
    const manager = pick(managers);
    state.set(id, { society, manager });
    emit('cost-center', 'created', id, [
      { field: 'code', from: null, to: `CC-${id.slice(0, 6)}` },
      { field: 'societyName', from: null, to: society },
      { field: 'managerId', from: null, to: manager },
    ]);
  }
  const cars = new Map<string, { brand: string; model: string; costCenterId: string | null }>();
  const createCar = () => {
    const id = randomUUID();
    const brand = pick(Object.keys(BRANDS));
    const car = { brand, model: pick(BRANDS[brand]!), costCenterId: next() < 0.1 ? null : pick(costCenters).id };
    cars.set(id, car);
    emit('car', 'created', id, [
      { field: 'brand', from: null, to: car.brand },
      { field: 'model', from: null, to: car.model },
      { field: 'version', from: null, to: null },
      { field: 'costCenterId', from: null, to: car.costCenterId },
    ]);
  };
  for (let index = 0; index < (options.cars ?? 30); index++) createCar();
  // A cost center whose cars come first (its owner's events arrive later, as on a first start).
  const late = { id: randomUUID(), society: SOCIETIES[0]! };
  for (const id of [randomUUID(), randomUUID()]) {
    cars.set(id, { brand: 'Renault', model: 'Clio', costCenterId: late.id });
    emit('car', 'created', id, [
      { field: 'brand', from: null, to: 'Renault' },
      { field: 'model', from: null, to: 'Clio' },
      { field: 'costCenterId', from: null, to: late.id },
    ]);
  }
  const steps = options.steps ?? 60;
  for (let step = 0; step < steps; step++) {
    if (step === Math.floor(steps / 2)) {
      const manager = pick(managers);
      state.set(late.id, { society: late.society, manager });
      costCenters.push(late);
      emit('cost-center', 'created', late.id, [
        { field: 'code', from: null, to: `CC-${late.id.slice(0, 6)}` },
        { field: 'societyName', from: null, to: late.society },
        { field: 'managerId', from: null, to: manager },
      ]);
      continue;
    }
    const roll = next();
    const ids = [...cars.keys()];
    if (roll < 0.15 || ids.length === 0) createCar();
    else if (roll < 0.25) {
      const id = pick(ids);
      const car = cars.get(id)!;
      cars.delete(id);
      emit('car', 'deleted', id, [
        { field: 'brand', from: car.brand, to: null },
        { field: 'model', from: car.model, to: null },
        { field: 'costCenterId', from: car.costCenterId, to: null },
      ]);
    } else if (roll < 0.6) {
      const id = pick(ids);
      const car = cars.get(id)!;
      const to = pick(costCenters).id;
      if (to === car.costCenterId) continue;
      emit('car', 'updated', id, [{ field: 'costCenterId', from: car.costCenterId, to }]);
      car.costCenterId = to;
    } else if (roll < 0.75) {
      const id = pick(ids);
      const car = cars.get(id)!;
      const model = pick(BRANDS[car.brand]!);
      if (model === car.model) continue;
      emit('car', 'updated', id, [{ field: 'model', from: car.model, to: model }]);
      car.model = model;
    } else if (roll < 0.9) {
      const { id } = pick(costCenters);
      const current = state.get(id)!;
      const manager = pick(managers);
      if (manager === current.manager) continue;
      emit('cost-center', 'updated', id, [{ field: 'managerId', from: current.manager, to: manager }]);
      current.manager = manager;
    } else {
      const { id } = pick(costCenters);
      const current = state.get(id)!;
      const society = pick(SOCIETIES);
      if (society === current.society) continue;
      emit('cost-center', 'updated', id, [{ field: 'societyName', from: current.society, to: society }]);
      current.society = society;
    }
  }
  return { events, start, end: new Date(start.getTime() + minute * stepMs) };
}

/** A car's five values, as fleetReport's groups name them (null: none). */
export interface ReplayedCar {
  id: string;
  society: string | null;
  costCenter: string | null;
  manager: string | null;
  brand: string | null;
  model: string | null;
}

/**
 * The oracle: the fleet at `instant`, replayed from the events committed at or before it, in
 * time order, with no read model (entity by entity, the last values win; a delete removes).
 */
export function replayAt(events: readonly CloudEvent[], instant: Date): ReplayedCar[] {
  const sorted = events
    .filter((event) => Date.parse(event.time) <= instant.getTime())
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.sequence.localeCompare(b.sequence));
  const entities = new Map<string, Record<string, unknown>>();
  for (const event of sorted) {
    const key = `${ownerOf(event)}:${event.subject}`;
    if (event.type.endsWith('.deleted')) {
      entities.delete(key);
      continue;
    }
    const fields = { ...(event.type.endsWith('.created') ? {} : entities.get(key)) };
    for (const change of event.data.changes) fields[change.field] = change.to;
    entities.set(key, fields);
  }
  const cars: ReplayedCar[] = [];
  for (const [key, fields] of entities) {
    if (!key.startsWith('car:')) continue;
    const costCenterId = (fields.costCenterId as string | null) ?? null;
    const costCenter = costCenterId ? entities.get(`cost-center:${costCenterId}`) : undefined;
    cars.push({
      id: key.slice(4),
      society: (costCenter?.societyName as string | undefined) ?? null,
      costCenter: costCenterId,
      manager: (costCenter?.managerId as string | undefined) ?? null,
      brand: fields.brand as string,
      model: fields.model as string,
    });
  }
  return cars;
}

/** Every table of the read model, in a comparable form. */
export async function snapshot(prisma: PrismaClient) {
  const [cars, costCenters, users, rollup, events] = await Promise.all([
    prisma.carVersion.findMany({ orderBy: [{ carId: 'asc' }, { revision: 'asc' }] }),
    prisma.costCenterVersion.findMany({ orderBy: [{ id: 'asc' }, { revision: 'asc' }] }),
    prisma.userVersion.findMany({ orderBy: [{ id: 'asc' }, { revision: 'asc' }] }),
    prisma.fleetCurrent.findMany({ orderBy: [{ costCenterKey: 'asc' }, { brand: 'asc' }, { model: 'asc' }] }),
    prisma.reportEvent.count(),
  ]);
  return { cars, costCenters, users, rollup, events };
}

/** Empties the read model and the cursors (the consumers are stopped first by the caller). */
export async function emptyReadModel(prisma: PrismaClient): Promise<void> {
  await prisma.$transaction([
    prisma.reportEvent.deleteMany(),
    prisma.carVersion.deleteMany(),
    prisma.costCenterVersion.deleteMany(),
    prisma.userVersion.deleteMany(),
    prisma.fleetCurrent.deleteMany(),
    prisma.fleetCheckpoint.deleteMany(),
    prisma.eventCursor.deleteMany(),
  ]);
}

export type Facts = Omit<ReplayedCar, 'id'>;

export interface ReplayedChange {
  added: number;
  removed: number;
  movedIn: number;
  movedOut: number;
}

/**
 * The oracle of fleetChanges: replays the events one by one in time order and, for each car
 * an event touches (a car event: that car; a cost-center event: its cars), compares its group
 * before and after. `groupOf` gives a car's group as a string, or null outside the filter.
 * Returns per bucket (by its start) and group the counts of the changes inside the bucket.
 */
export function replayChanges(
  events: readonly CloudEvent[],
  buckets: readonly { start: Date; end: Date }[],
  groupOf: (facts: Facts) => string | null,
): Map<string, Map<string, ReplayedChange>> {
  const sorted = [...events].sort(
    (a, b) => Date.parse(a.time) - Date.parse(b.time) || a.sequence.localeCompare(b.sequence),
  );
  const cars = new Map<string, Record<string, unknown>>();
  const costCenters = new Map<string, Record<string, unknown>>();
  const factsOf = (fields: Record<string, unknown>): Facts => {
    const costCenterId = (fields.costCenterId as string | null) ?? null;
    const costCenter = costCenterId ? costCenters.get(costCenterId) : undefined;
    return {
      society: (costCenter?.societyName as string | undefined) ?? null,
      costCenter: costCenterId,
      manager: (costCenter?.managerId as string | undefined) ?? null,
      brand: fields.brand as string,
      model: fields.model as string,
    };
  };
  const result = new Map<string, Map<string, ReplayedChange>>();
  const count = (time: number, group: string | null, field: keyof ReplayedChange) => {
    const bucket = buckets.find((candidate) => candidate.start.getTime() <= time && time < candidate.end.getTime());
    if (!bucket || group === null) return;
    const groups = result.get(bucket.start.toISOString()) ?? new Map<string, ReplayedChange>();
    const counts = groups.get(group) ?? { added: 0, removed: 0, movedIn: 0, movedOut: 0 };
    counts[field] += 1;
    groups.set(group, counts);
    result.set(bucket.start.toISOString(), groups);
  };
  for (const event of sorted) {
    const time = Date.parse(event.time);
    const apply = (map: Map<string, Record<string, unknown>>) => {
      if (event.type.endsWith('.deleted')) map.delete(event.subject);
      else {
        const fields = { ...(event.type.endsWith('.created') ? {} : map.get(event.subject)) };
        for (const change of event.data.changes) fields[change.field] = change.to;
        map.set(event.subject, fields);
      }
    };
    const touched =
      ownerOf(event) === 'car'
        ? [event.subject]
        : ownerOf(event) === 'cost-center'
          ? [...cars].filter(([, fields]) => fields.costCenterId === event.subject).map(([id]) => id)
          : [];
    const before = new Map(touched.map((id) => [id, cars.has(id) ? groupOf(factsOf(cars.get(id)!)) : undefined]));
    // Its cars appear in the new cost center's groups: added there, removed from where they were counted.
    const appearing = event.type === 'cost-center.created';
    apply(ownerOf(event) === 'car' ? cars : ownerOf(event) === 'cost-center' ? costCenters : new Map());
    for (const id of touched) {
      const from = before.get(id);
      const to = cars.has(id) ? groupOf(factsOf(cars.get(id)!)) : undefined;
      if (from === undefined && to !== undefined) count(time, to, 'added');
      else if (from !== undefined && to === undefined) count(time, from, 'removed');
      else if (appearing && from !== to) {
        count(time, from!, 'removed');
        count(time, to!, 'added');
      } else if (from !== undefined && to !== undefined && from !== to) {
        count(time, from, 'movedOut');
        count(time, to, 'movedIn');
      }
    }
  }
  return result;
}
