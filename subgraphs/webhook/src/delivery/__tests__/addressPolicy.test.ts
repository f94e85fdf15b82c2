import { forbiddenReason } from '../addressPolicy';
import { checkUrlShape, RefusedUrl, resolveTarget, type Resolver } from '../resolveTarget';

describe('addresses a production webhook may not reach', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'link-local or cloud metadata'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved or broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'unique-local (incl. fd00:ec2::254 metadata)'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local or cloud metadata'],
    ['64:ff9b::10.0.0.1', 'private'],
  ])('%s is %s', (address, reason) => {
    expect(forbiddenReason(address)).toBe(reason);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (address) => {
      expect(forbiddenReason(address)).toBeNull();
    },
  );
});

describe('endpoint URLs', () => {
  const production = { allowPrivate: false };
  const development = { allowPrivate: true };
  const answering =
    (...addresses: string[]): Resolver =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('refuses http, credentials and non-URLs in production; development allows http', () => {
    expect(() => checkUrlShape('http://example.com/hook', production)).toThrow(RefusedUrl);
    expect(() => checkUrlShape('https://user:pw@example.com/hook', production)).toThrow('credentials');
    expect(() => checkUrlShape('not a url', production)).toThrow(RefusedUrl);
    expect(() => checkUrlShape('ftp://example.com', development)).toThrow(RefusedUrl);
    expect(checkUrlShape('http://127.0.0.1:9/hook', development).hostname).toBe('127.0.0.1');
  });

  it('refuses a host when any address it resolves to is forbidden, and pins the checked address', async () => {
    await expect(
      resolveTarget('https://hook.example/', production, answering('93.184.215.14', '10.0.0.5')),
    ).rejects.toThrow('resolves to 10.0.0.5, a private address');
    await expect(resolveTarget('https://[::ffff:127.0.0.1]/', production, answering())).rejects.toThrow('loopback');
    await expect(resolveTarget('https://169.254.169.254/latest', production, answering())).rejects.toThrow('metadata');
    const target = await resolveTarget('https://hook.example/x', production, answering('93.184.215.14'));
    expect(target).toMatchObject({ address: '93.184.215.14', family: 4 });
    await expect(resolveTarget('http://127.0.0.1:1/', development, answering())).resolves.toMatchObject({
      address: '127.0.0.1',
    });
  });

  it('checks the answer of each resolution: a host that turns private is refused the next time', async () => {
    const answers = ['93.184.215.14', '127.0.0.1'];
    const changing: Resolver = async () => [{ address: answers.shift()!, family: 4 }];
    await expect(resolveTarget('https://rebind.example/', production, changing)).resolves.toMatchObject({
      address: '93.184.215.14',
    });
    await expect(resolveTarget('https://rebind.example/', production, changing)).rejects.toThrow('loopback');
  });
});
