import { randomUUID } from 'node:crypto';
import { ANONYMOUS } from '@car-check/service-kit';
import { type CloudEvent, developmentEventKey, EventVerifier, publicKeyOf, recordAudit } from '@car-check/events';
import { seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import type { PrismaClient as UserPrisma } from '../../subgraphs/user/src/prisma';
import { BACKENDS } from '@car-check/test-support/config';
import { startGraph, type GraphSubgraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf, errorCodesByPath, type GraphQLResponse } from '@car-check/test-support/graphql';
import { TEST_SIGNING_SECRET } from '@car-check/test-support/secrets';
import { signedGet } from '@car-check/test-support/signing';

interface FeedPage {
  events: CloudEvent[];
  next: number;
}
interface FeedResponse {
  status: number;
  body: FeedPage & { errors?: { extensions: { code: string; field?: string } }[] };
}

const admin = seedUsers.find((user) => user.username === 'admin')!;
const TRACE_ID = 'a3ce929d0e0e47364bf92f3577b34da6';
const traced = (requestId: string) => ({
  'x-request-id': requestId,
  traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(BACKENDS)('the event feed (%s)', (backend) => {
  let graph: TestGraph;
  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true });
  }, 120_000);
  afterAll(async () => {
    await graph?.stop();
  });

  /** A feed request signed for `audience` (by default the subgraph itself), as a service would sign it. */
  const signedHeaders = (audience: string, query: string, secret = TEST_SIGNING_SECRET) =>
    signedGet(
      { ...ANONYMOUS, service: 'events-test' },
      `/events${query}`,
      { audience, requestId: `feed-${randomUUID()}` },
      secret,
    );
  const get = async (
    subgraph: GraphSubgraph,
    query: string,
    headers?: Record<string, string>,
  ): Promise<FeedResponse> => {
    const response = await fetch(`${graph.subgraphs[subgraph].url}/events${query}`, {
      headers: headers ?? (await signedHeaders(subgraph, query)),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, body: (await response.json()) as FeedResponse['body'] };
  };
  const page = async (subgraph: GraphSubgraph, after: number, limit?: number): Promise<FeedPage> => {
    const response = await get(subgraph, `?after=${after}${limit === undefined ? '' : `&limit=${limit}`}`);
    expect(response.status).toBe(200);
    return response.body;
  };
  /** Every event after `after`, page by page. */
  const readAll = async (subgraph: GraphSubgraph, after = 0, limit = 1000): Promise<FeedPage> => {
    const events: CloudEvent[] = [];
    let next = after;
    for (;;) {
      const current = await page(subgraph, next, limit);
      if (current.events.length === 0) {
        expect(current.next).toBe(next);
        return { events, next };
      }
      events.push(...current.events);
      expect(current.next).toBe(Number(current.events.at(-1)!.sequence));
      next = current.next;
    }
  };
  const of = (events: CloudEvent[], subject: string) => events.filter((event) => event.subject === subject);

  it('serves a car created, updated and deleted as three CloudEvents in order', async () => {
    const start = (await readAll('car')).next;
    // The server's own request ids (what a client sends as x-request-id is kept apart, as clientRequestId).
    const requestIds: string[] = [];
    const sent = <T>(response: GraphQLResponse<T>) => {
      requestIds.push(response.headers.get('x-request-id')!);
      return dataOf(response);
    };
    const { createCar } = sent(
      await graph.query<{ createCar: { id: string } }>(
        `mutation($cc: ID!) { createCar(input: { brand: "Audi", model: "Q4", costCenterId: $cc }) { id } }`,
        { cc: seedCostCenters[0]!.id },
        traced('events-car-create'),
      ),
    );
    const id = createCar.id;
    sent(
      await graph.query(
        `mutation($id: ID!) { updateCar(id: $id, input: { model: "Q4 e-tron", version: "45", expectedRevision: 1 }) { id } }`,
        { id },
        traced('events-car-update'),
      ),
    );
    // A stale revision is refused: no change, no event.
    const stale = await graph.query(
      `mutation($id: ID!) { updateCar(id: $id, input: { model: "Stale", expectedRevision: 1 }) { id } }`,
      { id },
    );
    expect(errorCodesByPath(stale)).toEqual([[['updateCar'], 'ABORTED']]);
    sent(await graph.query(`mutation($id: ID!) { deleteCar(id: $id) }`, { id }, traced('events-car-delete')));

    const { events } = await readAll('car', start);
    const mine = of(events, id);
    expect(mine.map((event) => event.type)).toEqual(['car.created', 'car.updated', 'car.deleted']);
    expect(mine.map((event) => event.data.revision)).toEqual([1, 2, 3]);
    expect(mine.map((event) => event.data.requestId)).toEqual(requestIds);
    const sequences = mine.map((event) => BigInt(event.sequence));
    expect([...sequences].sort((a, b) => (a < b ? -1 : 1))).toEqual(sequences);
    expect(new Set(sequences).size).toBe(3);

    const [created, updated, deleted] = mine;
    for (const event of mine) {
      expect(event).toMatchObject({
        specversion: '1.0',
        source: '/subgraphs/car',
        subject: id,
        datacontenttype: 'application/json',
      });
      expect(event.id).toMatch(UUID);
      expect(event.sequence).toMatch(/^\d{19}$/);
      expect(Number.isNaN(Date.parse(event.time))).toBe(false);
      expect(event.data).toMatchObject({ actorId: admin.id, traceId: TRACE_ID });
    }
    expect(created!.data.changes).toEqual(
      expect.arrayContaining([
        { field: 'brand', from: null, to: 'Audi' },
        { field: 'model', from: null, to: 'Q4' },
        { field: 'costCenterId', from: null, to: seedCostCenters[0]!.id },
      ]),
    );
    expect(updated!.data.changes).toEqual([
      { field: 'model', from: 'Q4', to: 'Q4 e-tron' },
      { field: 'version', from: null, to: '45' },
    ]);
    expect(deleted!.data.changes).toEqual(expect.arrayContaining([{ field: 'model', from: 'Q4 e-tron', to: null }]));

    // The event ids are the audit records' ids.
    const rows = await (graph.subgraphs.car.prisma as CarPrisma).auditEvent.findMany({
      where: { entityId: id },
      orderBy: { sequence: 'asc' },
    });
    expect(rows.map((row) => row.id)).toEqual(mine.map((event) => event.id));
    expect(rows.map((row) => [row.revision, row.traceId, row.publishedAt])).toEqual([
      [1, TRACE_ID, null],
      [2, TRACE_ID, null],
      [3, TRACE_ID, null],
    ]);
  });

  it('serves a cost center created, updated and deleted; failed mutations leave no event', async () => {
    const start = (await readAll('cost-center')).next;
    const manager = seedUsers.find((user) => user.username !== 'admin')!;
    const { createCostCenter } = dataOf(
      await graph.query<{ createCostCenter: { id: string } }>(
        `mutation($m: ID!) { createCostCenter(input: { code: "EVT-1", societyName: "Events Ltd", managerId: $m }) { id } }`,
        { m: admin.id },
      ),
    );
    const id = createCostCenter.id;
    dataOf(
      await graph.query(
        `mutation($id: ID!, $m: ID!) { updateCostCenter(id: $id, input: { managerId: $m, expectedRevision: 1 }) { id } }`,
        { id, m: manager.id },
      ),
    );
    const stale = await graph.query(
      `mutation($id: ID!) { updateCostCenter(id: $id, input: { societyName: "Stale", expectedRevision: 1 }) { id } }`,
      { id },
    );
    expect(errorCodesByPath(stale)).toEqual([[['updateCostCenter'], 'ABORTED']]);
    const invalid = await graph.query(
      `mutation($id: ID!) { updateCostCenter(id: $id, input: { code: "not valid" }) { id } }`,
      { id },
    );
    expect(errorCodesByPath(invalid)).toEqual([[['updateCostCenter'], 'INVALID_ARGUMENT']]);
    // Still has cars: refused, no event.
    const busy = await graph.query(`mutation($id: ID!) { deleteCostCenter(id: $id) }`, { id: seedCostCenters[0]!.id });
    expect(errorCodesByPath(busy)).toEqual([[['deleteCostCenter'], 'FAILED_PRECONDITION']]);
    dataOf(await graph.query(`mutation($id: ID!) { deleteCostCenter(id: $id) }`, { id }));

    const { events } = await readAll('cost-center', start);
    // Nothing but this cost center's three events was written since.
    expect(events.map((event) => [event.type, event.subject, event.data.revision])).toEqual([
      ['cost-center.created', id, 1],
      ['cost-center.updated', id, 2],
      ['cost-center.deleted', id, 3],
    ]);
    expect(events.every((event) => event.source === '/subgraphs/cost-center')).toBe(true);
    expect(events[1]!.data.changes).toEqual([{ field: 'managerId', from: admin.id, to: manager.id }]);
    // Each subgraph serves only its own events.
    expect(of((await readAll('car')).events, id)).toEqual([]);
  });

  it('pages with after and limit, each event exactly once, in sequence order', async () => {
    for (const model of ['P1', 'P2', 'P3', 'P4', 'P5']) {
      dataOf(
        await graph.query(
          `mutation($cc: ID!, $m: String!) { createCar(input: { brand: "Paging", model: $m, costCenterId: $cc }) { id } }`,
          { cc: seedCostCenters[1]!.id, m: model },
        ),
      );
    }
    const all = await readAll('car');
    expect(all.events.length).toBeGreaterThanOrEqual(5);
    for (const limit of [1, 2, 3]) {
      const paged = await readAll('car', 0, limit);
      expect(paged.events.map((event) => event.id)).toEqual(all.events.map((event) => event.id));
      expect(paged.next).toBe(all.next);
    }
    expect(new Set(all.events.map((event) => event.id)).size).toBe(all.events.length);
    const sequences = all.events.map((event) => event.sequence);
    expect([...sequences].sort()).toEqual(sequences);
    // The default page is 100; after the last event there is nothing.
    expect((await page('car', 0)).events.length).toBe(Math.min(100, all.events.length));
    expect(await page('car', all.next)).toEqual({ events: [], next: all.next });
    // From the middle: exactly the rest.
    const middle = Number(all.events[1]!.sequence);
    expect((await readAll('car', middle)).events.map((event) => event.id)).toEqual(
      all.events.slice(2).map((event) => event.id),
    );
  });

  it('signs every event it serves with its own key: each verifies with its public key, and with no other subgraph’s', async () => {
    dataOf(
      await graph.query(
        `mutation($cc: ID!) { createCar(input: { brand: "Signed", model: "S1", costCenterId: $cc }) { id } }`,
        { cc: seedCostCenters[0]!.id },
      ),
    );
    const verifierOf = (subgraph: string) =>
      new EventVerifier(subgraph, [publicKeyOf(developmentEventKey(TEST_SIGNING_SECRET, subgraph))]);
    for (const subgraph of ['car', 'cost-center'] as const) {
      const { events } = await readAll(subgraph);
      expect(events.length).toBeGreaterThan(0);
      expect([subgraph, events.map((event) => verifierOf(subgraph).check(event))]).toEqual([
        subgraph,
        events.map(() => null),
      ]);
      expect(events.every((event) => (event as CloudEvent & { signer?: string }).signer === subgraph)).toBe(true);
    }
    // A car event is no cost-center event, even with the car's valid signature.
    const [carEvent] = (await readAll('car')).events;
    expect(verifierOf('cost-center').check(carEvent)).toMatchObject({ reason: 'wrong source' });
    // Under a key that is not the car's: a bad signature.
    const otherKey = new EventVerifier('car', [
      publicKeyOf(developmentEventKey(Buffer.from('not the signing secret of these tests'), 'car')),
    ]);
    expect(otherKey.check(carEvent)).toMatchObject({ reason: 'bad signature' });
  });

  it('refuses unsigned, forged, misdirected and replayed requests with 401', async () => {
    const refused = async (response: FeedResponse) => {
      expect(response.status).toBe(401);
      expect(response.body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
      expect(response.body.events).toBeUndefined();
    };
    await refused(await get('car', '', {}));
    await refused(await get('car', '', await signedHeaders('car', '', Buffer.from('not-the-signing-secret'))));
    await refused(await get('car', '', await signedHeaders('cost-center', '')));
    // A signature covers its page: the same headers for another cursor are refused.
    await refused(await get('car', '?after=1', await signedHeaders('car', '?after=0')));
    const once = await signedHeaders('user', '');
    expect((await get('user', '', once)).status).toBe(200);
    await refused(await get('user', '', once));
    // Unsigned requests with bad parameters are refused before anything is read.
    await refused(await get('car', '?limit=0', {}));
  });

  it('refuses bad after and limit with 400 INVALID_ARGUMENT', async () => {
    const cases: [string, string][] = [
      ['?after=-1', 'after'],
      ['?after=abc', 'after'],
      ['?after=1.5', 'after'],
      ['?after=99999999999999999999', 'after'],
      ['?after=1&after=2', 'after'],
      ['?limit=0', 'limit'],
      ['?limit=1001', 'limit'],
      ['?limit=ten', 'limit'],
      ['?limit=', 'limit'],
      ['?wait=-1', 'wait'],
      ['?wait=30001', 'wait'],
      ['?wait=1.5', 'wait'],
      ['?wait=soon', 'wait'],
    ];
    for (const [query, field] of cases) {
      const response = await get('car', query);
      expect([query, response.status]).toEqual([query, 400]);
      expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ARGUMENT', field });
    }
    expect((await get('car', '?after=0&limit=1000')).status).toBe(200);
  });

  it('holds a read that finds nothing (wait) and answers it as soon as an event commits', async () => {
    const start = (await readAll('car')).next;
    const askedAt = Date.now();
    const held = get('car', `?after=${start}&wait=30000`);
    // Still held a moment later: the feed had nothing to answer with.
    const early = await Promise.race([held.then(() => 'answered'), new Promise((r) => setTimeout(r, 300, 'held'))]);
    expect(early).toBe('held');
    const { createCar } = dataOf(
      await graph.query<{ createCar: { id: string } }>(
        `mutation($cc: ID!) { createCar(input: { brand: "Audi", model: "Held", costCenterId: $cc }) { id } }`,
        { cc: seedCostCenters[0]!.id },
      ),
    );
    const answer = await held;
    expect(answer.status).toBe(200);
    expect(of(answer.body.events, createCar.id).map((event) => event.type)).toEqual(['car.created']);
    // Answered by the commit, not by the end of the wait.
    expect(Date.now() - askedAt).toBeLessThan(25_000);

    // With nothing to come, a held read ends empty when its wait is over, at the same position.
    const after = answer.body.next;
    const quiet = Date.now();
    const empty = await get('car', `?after=${after}&wait=400`);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ events: [], next: after });
    expect(Date.now() - quiet).toBeGreaterThanOrEqual(350);
  });

  it('publishes user changes without the password or its hash; account activity is no event', async () => {
    const start = (await readAll('user')).next;
    const first = `First-${randomUUID()}`;
    const second = `Second-${randomUUID()}`;
    const username = `events.${Date.now()}`;
    const { createUser } = dataOf(
      await graph.query<{ createUser: { id: string } }>(
        `mutation($u: String!, $p: String!) { createUser(input: { username: $u, email: "events@example.com", groups: ["viewer"], password: $p }) { id } }`,
        { u: username, p: first },
      ),
    );
    const id = createUser.id;
    const firstHash = (await (graph.subgraphs.user.prisma as UserPrisma).user.findUnique({ where: { id } }))!
      .passwordHash!;
    // Signing in and out is audited, never an event.
    const token = await graph.login(username, first);
    expect(token).toBeTruthy();
    dataOf(
      await graph.query(
        `mutation($id: ID!, $p: String!) { updateUser(id: $id, input: { password: $p, groups: ["viewer", "fleet-manager"] }) { id } }`,
        { id, p: second },
      ),
    );
    const secondHash = (await (graph.subgraphs.user.prisma as UserPrisma).user.findUnique({ where: { id } }))!
      .passwordHash!;
    dataOf(await graph.query(`mutation($id: ID!) { deactivateUser(id: $id) { id } }`, { id }));
    dataOf(await graph.query(`mutation($id: ID!) { revokeUserTokens(userId: $id) }`, { id }));

    const { events } = await readAll('user', start);
    expect(events.map((event) => [event.type, event.subject, event.data.revision])).toEqual([
      ['user.created', id, 1],
      ['user.updated', id, 2],
      ['user.updated', id, 3],
    ]);
    expect(events[0]!.data.changes).toEqual(expect.arrayContaining([{ field: 'username', from: null, to: username }]));
    expect(events[1]!.data.changes).toEqual(
      expect.arrayContaining([
        { field: 'groups', from: ['viewer'], to: ['viewer', 'fleet-manager'] },
        { field: 'password', from: '[redacted]', to: '[redacted]' },
      ]),
    );
    expect(events[2]!.data.changes).toEqual([{ field: 'isActive', from: true, to: false }]);
    const text = JSON.stringify(events);
    for (const secret of [first, second, firstHash, secondHash, token, 'passwordHash'])
      expect(text).not.toContain(secret);
    // The account activity is in the audit trail, with a trace id, and no revision.
    const activity = await (graph.subgraphs.user.prisma as UserPrisma).auditEvent.findMany({
      where: { entityId: id, action: { in: ['LOGIN', 'REVOKE_TOKENS'] } },
    });
    expect(activity.map((row) => row.action).sort()).toEqual(['LOGIN', 'REVOKE_TOKENS']);
    expect(activity.every((row) => row.revision === null && typeof row.traceId === 'string')).toBe(true);
  });

  if (backend === 'postgres') {
    it('numbers event records in commit order: a reader never skips one that commits late', async () => {
      const prisma = graph.subgraphs.car.prisma as CarPrisma;
      const start = (await readAll('car')).next;
      const entry = (requestId: string) => ({
        entity: 'Car',
        entityId: randomUUID(),
        action: 'UPDATE' as const,
        caller: ANONYMOUS,
        requestId,
        revision: 2,
        changes: [],
      });
      let releaseFirst!: () => void;
      const held = new Promise<void>((resolve) => (releaseFirst = resolve));
      let firstWritten!: () => void;
      const written = new Promise<void>((resolve) => (firstWritten = resolve));
      const options = { maxWait: 30_000, timeout: 60_000 };
      // The first writer records its event, then keeps its transaction open.
      const first = prisma.$transaction(async (tx) => {
        await recordAudit(tx, entry('commit-order-first'));
        firstWritten();
        await held;
      }, options);
      await written;
      // The second writer starts while the first is open, and commits only after it.
      let secondDone = false;
      const second = prisma
        .$transaction(async (tx) => recordAudit(tx, entry('commit-order-second')), options)
        .then(() => {
          secondDone = true;
        });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // Neither is visible while the first is open (the second waits for the first to end).
      expect(secondDone).toBe(false);
      expect((await readAll('car', start)).events).toEqual([]);
      releaseFirst();
      await Promise.all([first, second]);
      const { events } = await readAll('car', start);
      expect(events.map((event) => event.data.requestId)).toEqual(['commit-order-first', 'commit-order-second']);
    });
  }
});
