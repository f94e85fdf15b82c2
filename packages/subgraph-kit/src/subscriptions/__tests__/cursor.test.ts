import { GraphQLError } from 'graphql';
import { decodeStreamCursor, encodeStreamCursor } from '../cursor';

function codeOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error instanceof GraphQLError ? error.extensions.code : error;
  }
  return 'no error';
}

describe('subscription cursors', () => {
  it('round-trips a sequence, as an opaque base64url string', () => {
    for (const sequence of [1n, 42n, 9223372036854775807n]) {
      const cursor = encodeStreamCursor('car', sequence);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeStreamCursor('car', cursor)).toBe(sequence);
    }
  });

  it("refuses another subgraph's cursor, garbage and impossible positions with INVALID_ARGUMENT", () => {
    const wrong = [
      encodeStreamCursor('cost-center', 7n),
      '',
      'not a cursor!',
      'Y2FyOjE=', // padding is never written
      Buffer.from('car:0').toString('base64url'),
      Buffer.from('car:-1').toString('base64url'),
      Buffer.from('car:007').toString('base64url'),
      Buffer.from('car:1x').toString('base64url'),
      Buffer.from('car:9223372036854775808').toString('base64url'),
      'a'.repeat(201),
    ];
    for (const cursor of wrong)
      expect([cursor, codeOf(() => decodeStreamCursor('car', cursor))]).toEqual([cursor, 'INVALID_ARGUMENT']);
  });
});
