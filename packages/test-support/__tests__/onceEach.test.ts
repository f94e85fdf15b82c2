import { onceEach } from '../onceEach';

describe('onceEach', () => {
  it('makes each key once, every caller sharing its promise', async () => {
    const made: string[] = [];
    const get = onceEach(async (key: string) => {
      made.push(key);
      return key.toUpperCase();
    });
    const first = get('a');
    expect(get('a')).toBe(first);
    await expect(Promise.all([first, get('b'), get('a')])).resolves.toEqual(['A', 'B', 'A']);
    expect(made).toEqual(['a', 'b']);
  });

  it('forgets a failure, so that the next caller tries again', async () => {
    let attempts = 0;
    const get = onceEach(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('first attempt fails');
      return attempts;
    });
    await expect(get('x')).rejects.toThrow('first attempt fails');
    await expect(get('x')).resolves.toBe(2);
    await expect(get('x')).resolves.toBe(2);
  });

  it('keys an argument as keyOf says', async () => {
    let made = 0;
    const get = onceEach(
      async (_names: string[]) => (made += 1),
      (names) => names.join(','),
    );
    await get(['car', 'user']);
    await get(['car', 'user']);
    await get(['car']);
    expect(made).toBe(2);
  });
});
