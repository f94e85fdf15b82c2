import { randomUUID } from 'node:crypto';
import { verifySignedRequest } from '@car-check/service-kit';
import { type CloudEvent, developmentEventKey, EventSigner, type EventType, formatSequence } from '@car-check/events';
import { seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import { BACKENDS } from '@car-check/test-support/config';
import { dataOf } from '@car-check/test-support/graphql';
import { LogCapture } from '@car-check/test-support/logCapture';
import { TEST_SIGNING_SECRET } from '@car-check/test-support/secrets';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';
import { waitFor } from '@car-check/test-support/waitFor';
import { COST_CENTER_REPLICA, redriveCostCenterReplica } from '../src/costCenterReplica';
import type { PrismaClient } from '../src/prisma';
import type { CarServices } from '../src/server';
import { MANAGEMENT_HEADERS } from '@car-check/test-support/management';
import { forgedRename } from '@car-check/test-support/forgedEvents';

const MAX_ATTEMPTS = 3;
const CONVERGED = 30_000;

/**
 * The car subgraph's replica of the cost centers, fed by a fake cost-center
 * feed whose events the test writes: applying by revision, tombstones,
 * dead letters, an owner that goes down, and what /ready and /metrics say.
 */
describe.each(BACKENDS)('the cost-center replica consumer (%s)', (backend) => {
  let car: SubgraphUnderTest;
  let logs: LogCapture;
  let sequence = 0;
  const prisma = () => car.subgraph.prisma as PrismaClient;
  const consumer = () => (car.subgraph.services as CarServices).costCenterReplica;
  const feed = () => car.peers['cost-center']!;

  /** Appends an event to the fake feed, as the cost-center subgraph would serve it. */
  const publish = (
    type: EventType,
    subject: string,
    revision: number | null,
    changes: { field: string; from: unknown; to: unknown }[],
  ): CloudEvent => {
    sequence += 1;
    const event: CloudEvent = {
      specversion: '1.0',
      id: randomUUID(),
      source: '/subgraphs/cost-center',
      type,
      subject,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      sequence: formatSequence(sequence),
      data: { revision, changes, actorId: null, requestId: `test-${sequence}`, traceId: null },
    };
    feed().events.push(event);
    return event;
  };
  const created = (id: string, code: unknown, societyName: unknown, managerId: string | null) =>
    publish('cost-center.created', id, 1, [
      { field: 'code', from: null, to: code },
      { field: 'managerId', from: null, to: managerId },
      { field: 'societyName', from: null, to: societyName },
    ]);
  const row = (id: string) => prisma().costCenterReplica.findUnique({ where: { id } });
  const cursor = async () =>
    (await prisma().eventCursor.findUnique({ where: { consumer: COST_CENTER_REPLICA } }))?.position ?? 0n;
  const caughtUp = () =>
    waitFor(async () => (await cursor()) === BigInt(sequence), CONVERGED, `the replica to reach sequence ${sequence}`);

  beforeAll(async () => {
    logs = new LogCapture('car');
    car = await startSubgraphUnderTest('car', backend, {
      seed: true,
      log: logs.log,
      env: { EVENTS_POLL_MS: '50', EVENTS_MAX_ATTEMPTS: String(MAX_ATTEMPTS), EVENTS_MAX_BACKOFF_MS: '200' },
    });
  }, 120_000);
  afterAll(async () => {
    await car?.stop();
  });

  it('reads the feed signed as the car service for the cost-center subgraph', async () => {
    await waitFor(() => feed().feedRequests.length > 0, CONVERGED, 'a feed request');
    const { headers, after, limit, target } = feed().feedRequests.at(-1)!;
    // A GET of this very page, asking the owner to hold it while it is empty (a long poll), with no body.
    expect(target).toBe(`/events?after=${after}&limit=${limit}&wait=2000`);
    const received = { method: 'GET', target, body: '' };
    const signed = await verifySignedRequest(headers, received, TEST_SIGNING_SECRET, {
      audience: 'cost-center',
      maxAgeMs: 60_000,
    });
    expect(signed.caller).toMatchObject({ service: 'car', userId: null, scopes: [] });
    // A signature for the car subgraph itself would not do.
    await expect(
      verifySignedRequest(headers, received, TEST_SIGNING_SECRET, { audience: 'car', maxAgeMs: 60_000 }),
    ).rejects.toThrow('another service');
  });

  it('applies by revision: redeliveries and stale updates are ignored, a deletion is a tombstone', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const manager = seedUsers[1]!.id;
    // What earlier tests left: none of this test's events may add to it.
    const [lettersBefore, reportedBefore] = [await prisma().eventDeadLetter.count(), consumer().status().deadLetters];
    created(a, 'RM-A', 'Replica A', manager);
    publish('cost-center.updated', a, 2, [{ field: 'societyName', from: 'Replica A', to: 'Replica A2' }]);
    // The same create again (at least once), and an older update, change nothing.
    feed().events.push({ ...feed().events.at(-2)!, sequence: formatSequence(++sequence) });
    publish('cost-center.updated', a, 2, [{ field: 'societyName', from: 'Replica A', to: 'Stale' }]);
    created(b, 'RM-B', 'Replica B', null);
    publish('cost-center.deleted', b, 2, [{ field: 'code', from: 'RM-B', to: null }]);
    // A late update cannot resurrect a deleted cost center.
    publish('cost-center.updated', b, 2, [{ field: 'code', from: 'RM-B', to: 'RM-ZOMBIE' }]);
    await caughtUp();

    expect(await row(a)).toMatchObject({
      code: 'RM-A',
      societyName: 'Replica A2',
      managerId: manager,
      revision: 2,
      deleted: false,
    });
    expect(await row(b)).toMatchObject({ code: 'RM-B', revision: 2, deleted: true });
    expect(await prisma().eventDeadLetter.count()).toBe(lettersBefore);
    expect(consumer().status()).toMatchObject({
      owner: 'cost-center',
      running: true,
      connected: true,
      lagSeconds: 0,
      deadLetters: reportedBefore,
    });
  });

  it('answers the new filters from the replica, matching text literally', async () => {
    const id = randomUUID();
    created(id, 'RM-PCT', '50% Off_Ltd', seedUsers[2]!.id);
    await caughtUp();
    await prisma().car.createMany({
      data: [
        { brand: 'Fiat', model: 'Panda', costCenterId: id },
        { brand: 'Fiat', model: '500', costCenterId: id },
      ],
    });
    const models = async (filter: Record<string, string>) =>
      dataOf(
        await car.query<{ cars: { totalCount: number; edges: { node: { model: string } }[] } }>(
          `query($filter: CarFilter) { cars(first: 100, filter: $filter, orderBy: { field: MODEL }) { totalCount edges { node { model } } } }`,
          { filter },
        ),
      ).cars;
    expect(await models({ societyName: '50% off_ltd' })).toEqual({
      totalCount: 2,
      edges: [{ node: { model: '500' } }, { node: { model: 'Panda' } }],
    });
    expect((await models({ societyName: '50_ Off%Ltd' })).totalCount).toBe(0);
    expect((await models({ costCenterCode: 'rm-pct', search: 'pan' })).edges).toEqual([{ node: { model: 'Panda' } }]);
    expect((await models({ managerId: seedUsers[2]!.id })).totalCount).toBe(2);
    // A cost center the replica has not seen (the seeded ones, here: the fake feed never created them) matches nothing.
    expect((await models({ costCenterCode: seedCostCenters[0]!.code })).totalCount).toBe(0);
  });

  it(`dead-letters an event that can never apply after ${MAX_ATTEMPTS} attempts, and applies the later ones`, async () => {
    const [bad, good] = [randomUUID(), randomUUID()];
    // What earlier tests left, so that the counts below are this test's own.
    const lettersBefore = await prisma().eventDeadLetter.count();
    const reportedBefore = consumer().status().deadLetters;
    const countedBefore = Number(
      /^events_dead_letters_total\{consumer="cost-center-replica",service="car"\} (\d+)$/m.exec(
        await (await fetch(`${car.subgraph.url}/metrics`, { headers: MANAGEMENT_HEADERS })).text(),
      )?.[1] ?? 0,
    );
    const poison = created(bad, 42, 'Malformed code', null);
    created(good, 'RM-GOOD', 'Applied after', null);
    await caughtUp();

    expect(await prisma().eventDeadLetter.count()).toBe(lettersBefore + 1);
    const letters = await prisma().eventDeadLetter.findMany({ where: { eventId: poison.id } });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      consumer: COST_CENTER_REPLICA,
      eventId: poison.id,
      source: '/subgraphs/cost-center',
      attempts: MAX_ATTEMPTS,
      event: poison,
    });
    expect(letters[0]!.sequence).toBe(BigInt(poison.sequence));
    expect(letters[0]!.error).toMatch(/code must be a non-empty string/);
    expect(await row(bad)).toBeNull();
    expect(await row(good)).toMatchObject({ code: 'RM-GOOD', revision: 1 });

    // Logged: a warning per failed attempt but the last, then one error.
    const lines = logs.entries().filter((entry) => entry.eventId === poison.id);
    expect(lines.map((entry) => entry.msg)).toEqual([
      ...Array(MAX_ATTEMPTS - 1).fill('cannot apply an event; retrying it'),
      'gave up on an event: written to event_dead_letter, moving on',
    ]);
    expect(lines.at(-1)).toMatchObject({ level: 50, attempts: MAX_ATTEMPTS, consumer: COST_CENTER_REPLICA });

    // Counted, and reported by /ready (still ready) and /metrics.
    const ready = await fetch(`${car.subgraph.url}/ready`, { headers: MANAGEMENT_HEADERS });
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { consumers: Record<string, { deadLetters: number; connected: boolean }> };
    expect(body.consumers[COST_CENTER_REPLICA]).toMatchObject({ deadLetters: reportedBefore + 1, connected: true });
    const metrics = await (await fetch(`${car.subgraph.url}/metrics`, { headers: MANAGEMENT_HEADERS })).text();
    expect(metrics).toMatch(
      new RegExp(
        `^events_dead_letters_total\\{consumer="cost-center-replica",service="car"\\} ${countedBefore + 1}$`,
        'm',
      ),
    );
    expect(metrics).toMatch(/^events_consumer_connected\{consumer="cost-center-replica",service="car"\} 1$/m);
    expect(metrics).toMatch(/^events_consumer_lag_seconds\{consumer="cost-center-replica",service="car"\} 0$/m);
  });

  it('refuses events their owner did not sign: dead-lettered once with the reason, counted, no cursor or revision moved, and re-driving keeps them refused', async () => {
    const id = randomUUID();
    created(id, 'RM-SIGNED', 'Signed', null);
    await caughtUp();
    const metric = async (name: string, labels: string) =>
      Number(
        new RegExp(`^${name}\\{${labels}\\} (\\d+)$`, 'm').exec(
          await (await fetch(`${car.subgraph.url}/metrics`, { headers: MANAGEMENT_HEADERS })).text(),
        )?.[1] ?? 0,
      );
    const rejected = (reason: string) =>
      metric('events_rejected_total', `consumer="cost-center-replica",reason="${reason}",service="car"`);
    const before = {
      letters: consumer().status().deadLetters,
      counted: await metric('events_dead_letters_total', 'consumer="cost-center-replica",service="car"'),
      unsigned: await rejected('unsigned'),
      badSignature: await rejected('bad signature'),
      wrongSource: await rejected('wrong source'),
      cursor: await cursor(),
    };
    // At the highest sequence there is, with a revision no real update reaches (as in the incident).
    const forged = (): CloudEvent => forgedRename(id, 'RM-SIGNED');
    const signedByOwner = new EventSigner('cost-center', developmentEventKey(TEST_SIGNING_SECRET, 'cost-center')).sign(
      forged(),
    );
    const forgeries: CloudEvent[] = [
      forged(),
      { ...signedByOwner, data: { ...signedByOwner.data, revision: 2_000_000 } },
      new EventSigner('car', developmentEventKey(TEST_SIGNING_SECRET, 'car')).sign(forged()),
    ];
    const ids = forgeries.map((event) => event.id);
    for (const event of forgeries) {
      feed().servedAsPushed.add(event.id);
      feed().events.push(event);
    }
    const letters = () => prisma().eventDeadLetter.findMany({ where: { eventId: { in: ids } } });
    try {
      await waitFor(
        async () => (await letters()).length === ids.length,
        CONVERGED,
        'the forgeries to be dead-lettered',
      );
      // Served on every poll (after the cursor), refused every time, dead-lettered once.
      const polls = feed().feedRequests.length;
      await waitFor(() => feed().feedRequests.length >= polls + 3, CONVERGED, 'more polls');
      const found = new Map((await letters()).map((letter) => [letter.eventId, letter]));
      expect(ids.map((eventId) => found.get(eventId)?.error)).toEqual([
        expect.stringMatching(/^unsigned: /),
        expect.stringMatching(/^bad signature: /),
        expect.stringMatching(/^wrong source: signed by "car"/),
      ]);
      for (const letter of found.values())
        expect(letter).toMatchObject({ consumer: COST_CENTER_REPLICA, sequence: 0n, attempts: 1 });
      expect(await row(id)).toMatchObject({ code: 'RM-SIGNED', revision: 1 });
      expect(await cursor()).toBe(before.cursor);
      const logged = logs.entries().filter((entry) => ids.includes(String(entry.eventId)));
      expect(logged.map((entry) => [entry.reason, entry.level])).toEqual([
        ['unsigned', 50],
        ['bad signature', 50],
        ['wrong source', 50],
      ]);
      // Counted as dead letters, and by reason; the consumer is behind for as long as the feed serves them.
      expect(consumer().status()).toMatchObject({ deadLetters: before.letters + 3 });
      expect(consumer().status().lagSeconds).toBeGreaterThan(0);
      expect(await metric('events_dead_letters_total', 'consumer="cost-center-replica",service="car"')).toBe(
        before.counted + 3,
      );
      expect([await rejected('unsigned'), await rejected('bad signature'), await rejected('wrong source')]).toEqual([
        before.unsigned + 1,
        before.badSignature + 1,
        before.wrongSource + 1,
      ]);

      // The owner's own next event still applies, at its revision.
      publish('cost-center.updated', id, 2, [{ field: 'code', from: 'RM-SIGNED', to: 'RM-SIGNED-2' }]);
      await caughtUp();
      expect(await row(id)).toMatchObject({ code: 'RM-SIGNED-2', revision: 2 });

      // Re-driving does not apply a forgery either.
      await redriveCostCenterReplica({
        prisma: prisma(),
        config: car.subgraph.config,
        signingSecret: TEST_SIGNING_SECRET,
      });
      const again = new Map((await letters()).map((letter) => [letter.eventId, letter]));
      expect(ids.map((eventId) => [again.get(eventId)?.attempts, again.get(eventId)?.error.split(':')[0]])).toEqual([
        [2, 'unsigned'],
        [2, 'bad signature'],
        [2, 'wrong source'],
      ]);
      expect(await row(id)).toMatchObject({ code: 'RM-SIGNED-2', revision: 2 });
    } finally {
      feed().events.splice(0, feed().events.length, ...feed().events.filter((event) => !ids.includes(event.id)));
    }
    await waitFor(
      () => consumer().status().lagSeconds === 0,
      CONVERGED,
      'the lag to clear once the feed serves no forgery',
    );
  });

  it('re-drives dead letters once their cause is fixed: applied and removed, or kept with one more attempt', async () => {
    const [early, malformed] = [randomUUID(), randomUUID()];
    // An update that arrives before its cost center's creation (as a lost event would leave it), and one that never applies.
    const update = publish('cost-center.updated', early, 2, [{ field: 'code', from: 'RD-1', to: 'RD-2' }]);
    const poison = created(malformed, 42, 'Malformed again', null);
    await caughtUp();
    const letter = (eventId: string) => prisma().eventDeadLetter.findFirst({ where: { eventId } });
    expect(await letter(update.id)).toMatchObject({
      attempts: MAX_ATTEMPTS,
      error: expect.stringMatching(/not in the replica/),
    });
    expect(await letter(poison.id)).toMatchObject({ attempts: MAX_ATTEMPTS });

    // The cause is fixed: the creation arrives.
    created(early, 'RD-1', 'Redriven', null);
    await caughtUp();
    expect(await row(early)).toMatchObject({ code: 'RD-1', revision: 1 });

    const report = await redriveCostCenterReplica({
      prisma: prisma(),
      config: car.subgraph.config,
      signingSecret: TEST_SIGNING_SECRET,
    });
    expect(report.redriven).toBeGreaterThanOrEqual(1);
    expect(report.failing).toBeGreaterThanOrEqual(1);
    expect(await row(early)).toMatchObject({ code: 'RD-2', revision: 2 });
    expect(await letter(update.id)).toBeNull();
    expect(await letter(poison.id)).toMatchObject({
      attempts: MAX_ATTEMPTS + 1,
      error: expect.stringMatching(/code must be a non-empty string/),
    });
    expect(await row(malformed)).toBeNull();

    // Again: nothing left to apply for the first, the second still refused; the replica unchanged.
    const again = await redriveCostCenterReplica({
      prisma: prisma(),
      config: car.subgraph.config,
      signingSecret: TEST_SIGNING_SECRET,
    });
    expect(again.redriven).toBe(0);
    expect(await row(early)).toMatchObject({ code: 'RD-2', revision: 2 });
  });

  it('backs off while the owner is down, warns once per outage, stays ready, and catches up', async () => {
    const warnings = () =>
      logs.entries().filter((entry) => entry.msg?.toString().startsWith('cannot read the event feed'));
    const before = warnings().length;
    feed().feedDown = true;
    const requests = feed().feedRequests.length;
    // Several failed polls (backoff capped at 200 ms here) ...
    await waitFor(() => feed().feedRequests.length >= requests + 5, CONVERGED, 'polls of the feed while it is down');
    // ... one warning: an owner that is down is expected, so its reason in one line, no stack.
    expect(warnings().length).toBe(before + 1);
    expect(warnings().at(-1)).toMatchObject({ reason: expect.stringMatching(/^the cost-center feed /) });
    expect(warnings().at(-1)).not.toHaveProperty('err');
    expect(consumer().status().connected).toBe(false);
    const ready = await fetch(`${car.subgraph.url}/ready`, { headers: MANAGEMENT_HEADERS });
    expect(ready.status).toBe(200);
    expect(
      ((await ready.json()) as { consumers: Record<string, { connected: boolean }> }).consumers[COST_CENTER_REPLICA]!
        .connected,
    ).toBe(false);

    const id = randomUUID();
    created(id, 'RM-LATE', 'After the outage', null);
    feed().feedDown = false;
    await caughtUp();
    expect(await row(id)).toMatchObject({ code: 'RM-LATE' });
    expect(consumer().status().connected).toBe(true);
    expect(warnings().length).toBe(before + 1);
    expect(logs.entries().filter((entry) => entry.msg === 'event feed reachable again').length).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('stops with the subgraph, and resumes from its saved cursor when started again', async () => {
    await consumer().stop();
    expect(consumer().status().running).toBe(false);
    const id = randomUUID();
    created(id, 'RM-RESUME', 'While stopped', null);
    const requests = feed().feedRequests.length;
    consumer().start();
    await caughtUp();
    expect(await row(id)).toMatchObject({ code: 'RM-RESUME' });
    // It resumed where it was: its first request asked for what came after the saved cursor.
    expect(BigInt(feed().feedRequests[requests]!.after)).toBe(BigInt(sequence) - 1n);
  });
});
