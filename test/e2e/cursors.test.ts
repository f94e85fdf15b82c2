import { seedCars, seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import { encodeCursor, MAX_CURSOR_LENGTH } from '@car-check/subgraph-kit';
import { BACKENDS } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf } from '@car-check/test-support/graphql';

const UUID = '00000000-0000-4000-8000-000000000000';
const DATE = '2026-01-01T00:00:00.000Z';

/** Every paged field of the graph, with the sort column its cursors carry. */
const CONNECTIONS: { name: string; field: string; type: 'date' | 'string'; query: string; path: string[] }[] = [
  {
    name: 'Query.cars',
    field: 'createdAt',
    type: 'date',
    query: 'query($after: String) { cars(first: 2, after: $after) { totalCount } }',
    path: ['cars'],
  },
  {
    name: 'Query.cars by brand',
    field: 'brand',
    type: 'string',
    query: 'query($after: String) { cars(first: 2, after: $after, orderBy: { field: BRAND }) { totalCount } }',
    path: ['cars'],
  },
  {
    name: 'Query.costCenters by society name',
    field: 'societyName',
    type: 'string',
    query:
      'query($after: String) { costCenters(first: 2, after: $after, orderBy: { field: SOCIETY_NAME }) { totalCount } }',
    path: ['costCenters'],
  },
  {
    name: 'Query.users',
    field: 'createdAt',
    type: 'date',
    query: 'query($after: String) { users(first: 2, after: $after) { totalCount } }',
    path: ['users'],
  },
  {
    name: 'Query.users by username',
    field: 'username',
    type: 'string',
    query: 'query($after: String) { users(first: 2, after: $after, orderBy: { field: USERNAME }) { totalCount } }',
    path: ['users'],
  },
  {
    name: 'CostCenter.cars',
    field: 'createdAt',
    type: 'date',
    query: `query($after: String) { costCenter(id: "${seedCostCenters[0]!.id}") { code cars(first: 2, after: $after) { totalCount } } }`,
    path: ['costCenter', 'cars'],
  },
  {
    name: 'Car.history',
    field: 'at',
    type: 'date',
    query: `query($after: String) { car(id: "${seedCars[0]!.id}") { brand history(first: 2, after: $after) { totalCount } } }`,
    path: ['car', 'history'],
  },
  {
    name: 'CostCenter.history',
    field: 'at',
    type: 'date',
    query: `query($after: String) { costCenter(id: "${seedCostCenters[0]!.id}") { code history(first: 2, after: $after) { totalCount } } }`,
    path: ['costCenter', 'history'],
  },
  {
    name: 'User.history',
    field: 'at',
    type: 'date',
    query: `query($after: String) { user(id: "${seedUsers[0]!.id}") { username history(first: 2, after: $after) { totalCount } } }`,
    path: ['user', 'history'],
  },
];

const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Cursors a client could forge for a connection sorted by `field`, none of which the graph ever hands out. */
function malformedCursors(field: string, type: 'date' | 'string'): [string, string][] {
  const key = type === 'date' ? DATE : 'Renault';
  const valid = encodeCursor({ field, key, id: UUID });
  const cursors: [string, string][] = [
    ['a non-UUID id', encodeCursor({ field, key, id: 'not-a-uuid' })],
    ['an id with SQL in it', encodeCursor({ field, key, id: "' OR 1=1 --" })],
    [
      'a 60 KB cursor',
      encodeCursor({
        field,
        key: type === 'date' ? DATE : 'Z'.repeat(45_000),
        id: UUID + 'f'.repeat(type === 'date' ? 45_000 : 0),
      }),
    ],
    ['garbage around a valid cursor', `!!${valid}@@`],
    ['a valid cursor with padding', `${valid}==`],
    ['base64 of random bytes', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x22, 0x5b]).toString('base64url')],
    ['not base64 at all', '%%% not a cursor %%%'],
    ['a JSON object', raw({ field, key, id: UUID })],
    ['a JSON string', raw('cursor')],
    ['JSON null', raw(null)],
    ['an array of four', raw([field, key, UUID, 'extra'])],
    ['a number as id', raw([field, key, 42])],
    ['a null key', raw([field, null, UUID])],
  ];
  if (type === 'date') {
    cursors.push(
      ['a date PostgreSQL cannot store', encodeCursor({ field, key: '-271821-04-20T00:00:00.000Z', id: UUID })],
      ['year 0, which PostgreSQL does not have', encodeCursor({ field, key: '0000-06-01T00:00:00.000Z', id: UUID })],
      ['a date beyond year 9999', encodeCursor({ field, key: '+275760-09-13T00:00:00.000Z', id: UUID })],
      ['a date that is not in the canonical form', encodeCursor({ field, key: '1', id: UUID })],
    );
  } else {
    cursors.push(
      ['a NUL byte in the key', encodeCursor({ field, key: 'Ren\u0000ault', id: UUID })],
      ['a control character in the key', encodeCursor({ field, key: 'Ren\u001bault', id: UUID })],
      ['an unpaired surrogate in the key', encodeCursor({ field, key: 'Ren\ud800ault', id: UUID })],
    );
  }
  return cursors;
}

describe.each(BACKENDS)(
  'malformed cursors are INVALID_ARGUMENT, never INTERNAL, through the gateway (%s)',
  (backend) => {
    let graph: TestGraph;

    beforeAll(async () => {
      graph = await startGraph(backend, { seed: true });
    });
    afterAll(async () => {
      await graph?.stop();
    });

    describe.each(CONNECTIONS)('$name', ({ field, type, query, path }) => {
      it('accepts the cursors it hands out, and a well-formed one it did not', async () => {
        const valid = encodeCursor({ field, key: type === 'date' ? DATE : 'Renault', id: UUID });
        dataOf(await graph.query(query, { after: valid }));
      });

      if (type === 'string') {
        it(`accepts a cursor of at most ${MAX_CURSOR_LENGTH} characters and refuses a longer one`, async () => {
          const cursorWithKey = (length: number) => encodeCursor({ field, key: 'Z'.repeat(length), id: UUID });
          let length = 1;
          while (cursorWithKey(length + 1).length <= MAX_CURSOR_LENGTH) length += 1;
          expect(cursorWithKey(length).length).toBeGreaterThan(MAX_CURSOR_LENGTH - 4);
          dataOf(await graph.query(query, { after: cursorWithKey(length) }));
          const tooLong = await graph.query(query, { after: cursorWithKey(length + 1) });
          expect(tooLong.errors?.[0]).toMatchObject({
            path,
            extensions: { code: 'INVALID_ARGUMENT', argument: 'after' },
          });
        });
      }

      it.each(malformedCursors(field, type))('%s', async (_what, after) => {
        const response = await graph.query(query, { after });
        expect(response.status).toBe(294);
        expect(response.errors).toHaveLength(1);
        expect(response.errors![0]).toMatchObject({
          path,
          extensions: { code: 'INVALID_ARGUMENT', grpcStatus: 3, argument: 'after' },
        });
      });
    });
  },
);
