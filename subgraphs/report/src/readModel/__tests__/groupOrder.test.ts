import { compareGroups, groupCursor, pageOfGroups, parseGroupCursor } from '../groupOrder';

const groups = [
  { carCount: 3, values: ['Renault', null] },
  { carCount: 5, values: ['Peugeot', '208'] },
  { carCount: 3, values: ['Peugeot', null] },
  { carCount: 3, values: ['Peugeot', '308'] },
].sort(compareGroups);

describe('the order of report groups', () => {
  it('is by car count descending, then by values in groupBy order, a missing value last', () => {
    expect(groups.map((group) => [group.carCount, ...group.values])).toEqual([
      [5, 'Peugeot', '208'],
      [3, 'Peugeot', '308'],
      [3, 'Peugeot', null],
      [3, 'Renault', null],
    ]);
  });

  it('pages after a cursor without gaps or overlaps', () => {
    const first = pageOfGroups(groups, 2, null);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = pageOfGroups(groups, 2, parseGroupCursor(first.pageInfo.endCursor!, 2));
    expect([...first.edges, ...rest.edges].map((edge) => edge.node)).toEqual(groups);
    expect(rest.pageInfo).toEqual({ hasNextPage: false, endCursor: groupCursor(groups[3]!) });
  });

  it('refuses a cursor of another shape with INVALID_ARGUMENT', () => {
    const invalid = expect.objectContaining({ extensions: expect.objectContaining({ code: 'INVALID_ARGUMENT' }) });
    expect(() => parseGroupCursor(groupCursor(groups[0]!), 3)).toThrow(invalid);
    expect(() => parseGroupCursor('not a cursor!', 2)).toThrow(invalid);
    expect(() => parseGroupCursor(Buffer.from('[-1,"a","b"]').toString('base64url'), 2)).toThrow(invalid);
    expect(() => parseGroupCursor(Buffer.from('[1,2,"b"]').toString('base64url'), 2)).toThrow(invalid);
  });
});
