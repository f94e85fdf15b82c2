import { randomUUID } from 'node:crypto';
import { BACKENDS } from '@car-check/test-support/config';
import { errorCodesByPath } from '@car-check/test-support/graphql';
import { waitFor } from '@car-check/test-support/waitFor';
import { WebhookReceiver } from '@car-check/test-support/webhookReceiver';
import type { Resolver } from '../src/delivery/resolveTarget';
import { startWebhookUnderTest, type WebhookUnderTest } from './webhookHarness';

// The production policy (WEBHOOK_ALLOW_PRIVATE_URLS=false, its default there) on a test database.
describe.each(BACKENDS)('webhook URLs under the production policy (%s)', (backend) => {
  let service: WebhookUnderTest;
  const receiver = new WebhookReceiver();
  let receiverUrl: URL;

  beforeAll(async () => {
    receiverUrl = new URL(await receiver.start());
    service = await startWebhookUnderTest(backend, { WEBHOOK_ALLOW_PRIVATE_URLS: 'false' });
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await receiver.stop();
  });

  const create = (url: string) =>
    service.query(
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }`,
      { input: { url, eventTypes: ['*'] } },
    );

  it.each([
    ['http://example.com/hook', 'must be https://'],
    ['https://127.0.0.1/hook', 'loopback'],
    ['https://[::1]/hook', 'loopback'],
    ['https://[::ffff:169.254.169.254]/latest/meta-data', 'metadata'],
    ['https://10.0.0.8/hook', 'private'],
    ['https://100.64.1.1/hook', 'carrier-grade NAT'],
    ['https://[fd00::1]/hook', 'unique-local'],
  ])('refuses %s at registration', async (url, reason) => {
    const response = await create(url);
    expect(errorCodesByPath(response)).toEqual([[['createWebhookEndpoint'], 'INVALID_ARGUMENT']]);
    expect(response.errors?.[0]?.message).toContain(reason);
    expect(response.errors?.[0]?.extensions?.field).toBe('input.url');
  });

  it('refuses a host whose DNS answer is private at registration', async () => {
    service.services.dns.resolve = async () => [{ address: '192.168.1.10', family: 4 }];
    const response = await create('https://internal.example/hook');
    expect(response.errors?.[0]?.message).toContain('192.168.1.10, a private address');
  });

  it('checks the DNS answer again at every delivery: a host that turns to loopback after registration is refused', async () => {
    const calls: string[] = [];
    let answer = '93.184.215.14';
    const changing: Resolver = async (host) => {
      calls.push(host);
      return [{ address: answer, family: 4 }];
    };
    service.services.dns.resolve = changing;
    const url = `https://rebind.example:${receiverUrl.port}/hook`;
    const response = await create(url);
    expect(response.errors).toBeUndefined();
    const endpointId = (response.data as { createWebhookEndpoint: { endpoint: { id: string } } }).createWebhookEndpoint
      .endpoint.id;
    expect(calls).toEqual(['rebind.example']);

    // Now the name points at the loopback interface, where a receiver listens.
    answer = '127.0.0.1';
    service.publish('car', 'car.created', randomUUID(), []);
    await waitFor(
      async () => (await service.deliveries(endpointId))[0]?.lastError?.startsWith('refused') === true,
      20_000,
      'the refused attempt',
    );
    const [delivery] = await service.deliveries(endpointId);
    expect(delivery).toMatchObject({ status: 'PENDING', attempts: 1, responseCode: null });
    expect(delivery!.lastError).toBe('refused: the URL resolves to 127.0.0.1, a loopback address');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(receiver.received).toHaveLength(0);
  }, 60_000);
});
