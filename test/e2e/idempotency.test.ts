import { randomUUID } from 'node:crypto';
import { seedCostCenters } from '@car-check/subgraph-kit/demo';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import { BACKENDS } from '@car-check/test-support/config';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { postGraphQL } from '@car-check/test-support/graphql';

interface CarAnswer {
  createCar?: { id: string; revision: number } | null;
  updateCar?: { id: string; revision: number } | null;
  deleteCar?: string | null;
}

const CREATE = 'mutation($input: CreateCarInput!) { createCar(input: $input) { id revision } }';

describe.each(BACKENDS)('retries never duplicate a write (%s)', (backend) => {
  let graph: TestGraph;
  let proxy: DelayProxy;
  let token: string;

  beforeAll(async () => {
    graph = await startGraph(backend, {
      seed: true,
      routeThrough: {
        car: async (url) => {
          proxy = new DelayProxy(url);
          return proxy.start();
        },
      },
    });
    token = await graph.login('admin');
  });
  afterAll(async () => {
    await graph?.stop();
    await proxy?.stop();
  });

  const send = (query: string, variables: Record<string, unknown>, key?: string) =>
    postGraphQL<CarAnswer>(
      graph.gatewayUrl,
      { query, variables },
      { authorization: `Bearer ${token}`, ...(key ? { 'idempotency-key': key } : {}) },
    );
  const prisma = () => graph.subgraphs.car.prisma as CarPrisma;
  const newCar = () => ({
    brand: 'Idem',
    model: `M-${randomUUID().slice(0, 8)}`,
    costCenterId: seedCostCenters[0]!.id,
  });

  it('a create whose answer was lost after it committed is not made twice by the retry', async () => {
    const key = randomUUID();
    const input = newCar();
    proxy.loseNextAnswers = 1;
    const lost = await send(CREATE, { input }, key);
    expect(lost.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
    const retried = await send(CREATE, { input }, key);
    expect(retried.errors).toBeUndefined();
    const rows = await prisma().car.findMany({ where: { model: input.model } });
    expect(rows.map((row) => row.id)).toEqual([retried.data!.createCar!.id]);
    expect(await prisma().auditEvent.count({ where: { entityId: rows[0]!.id } })).toBe(1);
    // Once more, answered this time: the same car, still one row.
    expect((await send(CREATE, { input }, key)).data?.createCar?.id).toBe(rows[0]!.id);
    expect(await prisma().car.count({ where: { model: input.model } })).toBe(1);
  });

  it('the same key sent twice at once makes one car, and both answers name it', async () => {
    const key = randomUUID();
    const input = newCar();
    const answers = await Promise.all([
      send(CREATE, { input }, key),
      send(CREATE, { input }, key),
      send(CREATE, { input }, key),
    ]);
    const ids = new Set(answers.map((answer) => answer.data?.createCar?.id));
    expect(answers.map((answer) => answer.errors)).toEqual([undefined, undefined, undefined]);
    expect(ids.size).toBe(1);
    expect(await prisma().car.count({ where: { model: input.model } })).toBe(1);
  });

  it('without a key, the same create twice makes two cars', async () => {
    const input = newCar();
    await send(CREATE, { input });
    await send(CREATE, { input });
    expect(await prisma().car.count({ where: { model: input.model } })).toBe(2);
  });

  it('the same key with a different input is INVALID_ARGUMENT, and writes nothing', async () => {
    const key = randomUUID();
    await send(CREATE, { input: newCar() }, key);
    const other = newCar();
    const reused = await send(CREATE, { input: other }, key);
    expect(reused.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await prisma().car.count({ where: { model: other.model } })).toBe(0);
  });

  it('updates and deletes replay their first answer too', async () => {
    const created = (await send(CREATE, { input: newCar() })).data!.createCar!;
    const update = 'mutation($id: ID!) { updateCar(id: $id, input: { brand: "Renamed" }) { id revision } }';
    const key = randomUUID();
    const first = await send(update, { id: created.id }, key);
    const again = await send(update, { id: created.id }, key);
    expect(again.data).toEqual(first.data);
    expect(first.data?.updateCar?.revision).toBe(2);
    expect(await prisma().auditEvent.count({ where: { entityId: created.id, action: 'UPDATE' } })).toBe(1);

    const remove = 'mutation($id: ID!) { deleteCar(id: $id) }';
    const deleteKey = randomUUID();
    expect((await send(remove, { id: created.id }, deleteKey)).data).toEqual({ deleteCar: created.id });
    // Without the key this would be NOT_FOUND: the car is gone.
    expect((await send(remove, { id: created.id }, deleteKey)).data).toEqual({ deleteCar: created.id });
  });

  it('a key is forgotten once it expires', async () => {
    const key = randomUUID();
    const input = newCar();
    await send(CREATE, { input }, key);
    await prisma().$executeRawUnsafe(
      `UPDATE idempotency_key SET expires_at = now() - interval '1 second' WHERE key = '${key}'`,
    );
    await send(CREATE, { input }, key);
    expect(await prisma().car.count({ where: { model: input.model } })).toBe(2);
  });

  it('a malformed key is refused before anything runs', async () => {
    const response = await send(CREATE, { input: newCar() }, 'short');
    expect({ status: response.status, code: response.errors?.[0]?.extensions?.code }).toEqual({
      status: 400,
      code: 'INVALID_ARGUMENT',
    });
  });

  it('an update that changes nothing keeps its revision and writes no audit record', async () => {
    const created = (await send(CREATE, { input: newCar() })).data!.createCar!;
    const same = await send('mutation($id: ID!) { updateCar(id: $id, input: { brand: "Idem" }) { revision } }', {
      id: created.id,
    });
    expect(same.data).toEqual({ updateCar: { revision: 1 } });
    expect(await prisma().auditEvent.count({ where: { entityId: created.id } })).toBe(1);
  });
});
