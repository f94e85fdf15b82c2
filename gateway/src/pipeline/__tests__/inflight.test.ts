import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import { ANONYMOUS, type CallerIdentity } from '@car-check/service-kit';
import { InflightQueries } from '../inflightQueries';

const viewer: CallerIdentity = { ...ANONYMOUS, userId: 'u1', scopes: ['car:read'] };
const answer = (body: string): HTTPGraphQLResponse => ({
  status: 200,
  headers: new HeaderMap([['content-type', 'application/json']]),
  body: { kind: 'complete', string: body },
});

describe('InflightQueries', () => {
  it('keys a query by document, operation, variables, accepted type, and who asks with which scopes', () => {
    const key = (caller: CallerIdentity, variables: Record<string, unknown> = {}, operation?: string) =>
      InflightQueries.keyOf('h', operation, variables, caller, undefined);
    const base = key(viewer);
    expect(key({ ...viewer, scopes: ['car:read'] })).toBe(base);
    expect(key({ ...viewer, tokenId: 'another token', clientIp: '10.0.0.9' })).toBe(base);
    expect(key({ ...viewer, userId: 'u2' })).not.toBe(base);
    expect(key({ ...viewer, scopes: ['car:read', 'user:read'] })).not.toBe(base);
    expect(key(ANONYMOUS)).not.toBe(base);
    expect(key({ ...ANONYMOUS, service: 'car' })).not.toBe(key(ANONYMOUS));
    expect(key(viewer, { n: 1 })).not.toBe(base);
    expect(key(viewer, {}, 'Named')).not.toBe(base);
  });

  it('runs identical queries in flight once, and anew once they are done', async () => {
    const inflight = new InflightQueries();
    let runs = 0;
    let release!: () => void;
    const execute = async () => {
      runs += 1;
      await new Promise<void>((resolve) => (release = resolve));
      return answer('{"data":{"n":1}}');
    };
    const all = Promise.all([inflight.run('k', execute), inflight.run('k', execute), inflight.run('k', execute)]);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const results = await all;
    expect(runs).toBe(1);
    expect(results.filter((r) => r.leader)).toHaveLength(1);
    expect(results.filter((r) => !r.leader).map((r) => (r.leader ? null : r.answer?.body))).toEqual([
      '{"data":{"n":1}}',
      '{"data":{"n":1}}',
    ]);
    expect(inflight.size).toBe(0);
    const later = inflight.run('k', async () => answer('{"data":{"n":2}}'));
    release?.();
    expect((await later).leader).toBe(true);
  });

  it('tells followers to run on their own when the leader failed, and reports the outcome of errors', async () => {
    const inflight = new InflightQueries();
    let fail!: (error: Error) => void;
    const leader = inflight.run('k', () => new Promise((_resolve, reject) => (fail = reject)));
    const follower = inflight.run('k', async () => answer('{}'));
    fail(new Error('boom'));
    await expect(leader).rejects.toThrow('boom');
    expect(await follower).toEqual({ leader: false, answer: null });
    const errored = inflight.run('e', async () =>
      answer('{"errors":[{"message":"x","extensions":{"code":"UNAVAILABLE"}}]}'),
    );
    const errorFollower = inflight.run('e', async () => answer('{}'));
    await errored;
    expect(await errorFollower).toMatchObject({ leader: false, answer: { outcome: 'UNAVAILABLE' } });
  });

  it('takes the outcome from the response’s own errors, never from data that looks like them', async () => {
    const outcomeOf = async (body: string) => {
      const inflight = new InflightQueries();
      const leader = inflight.run('k', async () => answer(body));
      const follower = inflight.run('k', async () => answer('{}'));
      await leader;
      const shared = await follower;
      return shared.leader ? null : shared.answer && { outcome: shared.answer.outcome, errors: shared.answer.errors };
    };
    // As Apollo Server writes them: `errors` first, then `data`.
    expect(
      await outcomeOf(
        '{"errors":[{"message":"x","extensions":{"code":"UNAVAILABLE"}}],"data":{"car":{"code":"ABC_123"}}}',
      ),
    ).toEqual({ outcome: 'UNAVAILABLE', errors: 1 });
    expect(await outcomeOf('{"data":{"car":{"code":"ABC_123","errors":[{"message":"x"}]}}}')).toEqual({
      outcome: 'OK',
      errors: 0,
    });
    expect(await outcomeOf('{"errors":[{"message":"x"}],"data":null}')).toEqual({ outcome: 'INTERNAL', errors: 1 });
    expect(await outcomeOf('{"errors":[{"message":"x"}]}')).toEqual({ outcome: 'INTERNAL', errors: 1 });
  });
});
