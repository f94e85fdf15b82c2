import { eventTypesOf, instantOf } from './webhooks';

describe('eventTypesOf', () => {
  it('splits on commas and spaces, dropping blanks and repeats', () => {
    expect(eventTypesOf('car.*, cost-center.updated  user.created,,car.*')).toEqual([
      'car.*',
      'cost-center.updated',
      'user.created',
    ]);
    expect(eventTypesOf('   ')).toEqual([]);
    expect(eventTypesOf('*')).toEqual(['*']);
  });
});

describe('instantOf', () => {
  it('reads a datetime-local value in the local time zone as an ISO instant', () => {
    const local = '2026-11-22T07:15:06';
    expect(instantOf(local)).toBe(new Date(2026, 10, 22, 7, 15, 6).toISOString());
  });

  it('leaves an empty or invalid value out', () => {
    expect(instantOf('')).toBeUndefined();
    expect(instantOf('not a date')).toBeUndefined();
  });
});
