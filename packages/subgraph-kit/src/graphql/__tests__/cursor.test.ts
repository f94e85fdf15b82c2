import { GraphQLError } from 'graphql';
import {
  containsText,
  decodeCursor,
  encodeCursor,
  equalsText,
  escapeLike,
  MAX_CURSOR_LENGTH,
  type SortOrder,
} from '../pagination';

const byCreation: SortOrder = { field: 'createdAt', direction: 'asc', type: 'date' };
const byName: SortOrder = { field: 'societyName', direction: 'asc', type: 'string' };
const ID = 'b7c1e2d4-0000-4000-8000-000000000001';

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error instanceof GraphQLError ? error.extensions : error;
  }
  return 'no error';
}

describe('decodeCursor accepts only cursors the graph could have produced', () => {
  it('round-trips date and text cursors, the longest validated text included', () => {
    const date = { field: 'createdAt', key: '2026-11-22T07:15:06.000Z', id: ID };
    expect(decodeCursor(encodeCursor(date), byCreation)).toEqual(date);
    // 120 characters of 3 UTF-8 bytes each: the longest societyName that validation lets in.
    const longest = { field: 'societyName', key: '€'.repeat(120), id: ID };
    expect(encodeCursor(longest).length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
    expect(decodeCursor(encodeCursor(longest), byName)).toEqual(longest);
  });

  it.each([
    ['longer than the bound', 'A'.repeat(MAX_CURSOR_LENGTH + 1), byName],
    ['a non-UUID id', encodeCursor({ field: 'createdAt', key: '2026-01-01T00:00:00.000Z', id: 'x' }), byCreation],
    [
      'characters outside base64url around a valid cursor',
      `..${encodeCursor({ field: 'societyName', key: 'A', id: ID })}..`,
      byName,
    ],
    ['padding', `${encodeCursor({ field: 'societyName', key: 'A', id: ID })}=`, byName],
    ['bytes that are not UTF-8', Buffer.from([0x5b, 0xff, 0x5d]).toString('base64url'), byName],
    [
      'a year PostgreSQL does not have',
      encodeCursor({ field: 'createdAt', key: '0000-01-01T00:00:00.000Z', id: ID }),
      byCreation,
    ],
    [
      'a date outside 0001-9999',
      encodeCursor({ field: 'createdAt', key: '-271821-04-20T00:00:00.000Z', id: ID }),
      byCreation,
    ],
    [
      'a date not written by toISOString',
      encodeCursor({ field: 'createdAt', key: '2026-02-30T00:00:00.000Z', id: ID }),
      byCreation,
    ],
    ['a NUL byte in a text key', encodeCursor({ field: 'societyName', key: 'a\u0000b', id: ID }), byName],
    ['an unpaired surrogate in a text key', encodeCursor({ field: 'societyName', key: 'a\udc00b', id: ID }), byName],
  ])('refuses %s with INVALID_ARGUMENT on `after`', (_what, value, order) => {
    expect(refusal(() => decodeCursor(value, order))).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'after' });
  });
});

describe('LIKE patterns from user text', () => {
  it.each([
    ['%', '\\%'],
    ['_', '\\_'],
    ['\\', '\\\\'],
    ['50% off_road\\x', '50\\% off\\_road\\\\x'],
    ['plain text', 'plain text'],
  ])('escapes %j as %j', (text, pattern) => {
    expect(escapeLike(text)).toBe(pattern);
  });

  it('builds case-insensitive Prisma filters from the escaped text', () => {
    expect(containsText('a%')).toEqual({ contains: 'a\\%', mode: 'insensitive' });
    expect(equalsText('a_b')).toEqual({ equals: 'a\\_b', mode: 'insensitive' });
  });
});
