import { GraphQLError } from 'graphql';
import {
  cursorOf,
  decodeCursor,
  encodeCursor,
  MAX_PAGE_SIZE,
  parsePage,
  toConnection,
  type SortOrder,
} from '../pagination';

const byCreation: SortOrder = { field: 'createdAt', direction: 'asc', type: 'date' };
const byBrand: SortOrder = { field: 'brand', direction: 'desc', type: 'string' };

function codeOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error instanceof GraphQLError ? error.extensions.code : error;
  }
  return 'no error';
}

describe('cursor pagination', () => {
  it('round-trips a cursor', () => {
    // Ids are UUIDs: a cursor naming anything else is refused (see cursor.test.ts).
    const cursor = { field: 'brand', key: 'Renault', id: 'b7c1e2d4-0000-4000-8000-000000000001' };
    expect(decodeCursor(encodeCursor(cursor), byBrand)).toEqual(cursor);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['a JSON object', Buffer.from('{"a":1}').toString('base64url')],
    ['a cursor of another ordering', encodeCursor({ field: 'createdAt', key: '2026-01-01T00:00:00.000Z', id: 'x' })],
  ])('rejects %s as INVALID_ARGUMENT', (_what, value) => {
    expect(codeOf(() => decodeCursor(value, byBrand))).toBe('INVALID_ARGUMENT');
  });

  it('rejects a date cursor whose key is not a date', () => {
    const value = encodeCursor({ field: 'createdAt', key: 'yesterday', id: 'x' });
    expect(codeOf(() => decodeCursor(value, byCreation))).toBe('INVALID_ARGUMENT');
  });

  it('bounds the page size', () => {
    expect(parsePage({}, byCreation).first).toBe(20);
    expect(parsePage({ first: MAX_PAGE_SIZE }, byCreation).first).toBe(MAX_PAGE_SIZE);
    expect(codeOf(() => parsePage({ first: MAX_PAGE_SIZE + 1 }, byCreation))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => parsePage({ first: -1 }, byCreation))).toBe('INVALID_ARGUMENT');
  });

  it('builds a connection from first + 1 rows', () => {
    const rows = [1, 2, 3].map((n) => ({ id: `id${n}`, brand: `B${n}` }));
    const connection = toConnection(rows, { first: 2, after: null }, byBrand, 10);
    expect(connection.edges.map((edge) => edge.node.id)).toEqual(['id1', 'id2']);
    expect(connection.pageInfo).toEqual({ hasNextPage: true, endCursor: cursorOf(byBrand, rows[1]!) });
    expect(connection.totalCount).toBe(10);
    expect(toConnection(rows, { first: 5, after: null }, byBrand, 3).pageInfo.hasNextPage).toBe(false);
  });
});
