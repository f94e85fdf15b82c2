import { decodeConsistencyToken, encodeConsistencyToken, laterPositions } from '../consistencyToken';

describe('the consistency token', () => {
  it('round-trips positions per owner', () => {
    const positions = new Map([
      ['car', 42],
      ['cost-center', 7],
    ]);
    expect(decodeConsistencyToken(encodeConsistencyToken(positions))).toEqual(positions);
  });

  it.each([
    ['not base64url', 'a b'],
    ['not JSON', Buffer.from('{').toString('base64url')],
    ['an array', Buffer.from('[1]').toString('base64url')],
    ['a negative position', Buffer.from('{"car":-1}').toString('base64url')],
    ['a fractional position', Buffer.from('{"car":1.5}').toString('base64url')],
    ['an owner that is no name', Buffer.from('{"Car Owner":1}').toString('base64url')],
    ['too long', 'a'.repeat(2_000)],
  ])('refuses %s', (_what, token) => {
    expect(decodeConsistencyToken(token)).toBeNull();
  });

  it('keeps the later position of each owner', () => {
    expect(
      laterPositions(
        new Map([
          ['car', 5],
          ['user', 1],
        ]),
        new Map([
          ['car', 3],
          ['cost-center', 2],
        ]),
      ),
    ).toEqual(
      new Map([
        ['car', 5],
        ['user', 1],
        ['cost-center', 2],
      ]),
    );
  });
});
