import { WebhookReceiver } from '@car-check/test-support/webhookReceiver';
import { postPinned } from '../httpPost';
import { resolveTarget, type Resolver } from '../resolveTarget';

describe('an attempt connects to the address that was checked', () => {
  const receiver = new WebhookReceiver();
  let port: string;

  beforeAll(async () => {
    port = new URL(await receiver.start()).port;
  });
  afterAll(() => receiver.stop());

  it('does not resolve the host again: a DNS answer that changes after the check is never used', async () => {
    const answers = ['127.0.0.1', '10.255.255.1'];
    const calls: string[] = [];
    const resolver: Resolver = async (host) => {
      calls.push(host);
      return [{ address: answers.shift()!, family: 4 }];
    };
    // receiver.invalid resolves nowhere else: only the pinned answer can reach the receiver.
    const target = await resolveTarget(`http://receiver.invalid:${port}/hook`, { allowPrivate: true }, resolver);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': '1', 'webhook-signature': 'v1,x' };
    const result = await postPinned(target, '{}', headers, { timeoutMs: 5_000, bodyLimit: 1_024 });
    expect(result).toMatchObject({ status: 200, error: null });
    expect(calls).toEqual(['receiver.invalid']);
    expect(receiver.received).toHaveLength(1);
  });

  it('keeps at most the body limit of an answer, follows no redirect, and gives up at the timeout', async () => {
    const target = await resolveTarget(`http://127.0.0.1:${port}/hook`, { allowPrivate: true }, async () => []);
    const headers = { 'webhook-id': 'msg_2', 'webhook-timestamp': '1', 'webhook-signature': 'v1,x' };
    receiver.answer = () => ({ status: 302 });
    const redirected = await postPinned(target, '{}', headers, { timeoutMs: 5_000, bodyLimit: 1 });
    expect(redirected).toMatchObject({ status: 302, body: 'o' });
    receiver.answer = () => ({ status: 200, delayMs: 2_000 });
    const slow = await postPinned(target, '{}', headers, { timeoutMs: 200, bodyLimit: 100 });
    expect(slow).toMatchObject({ status: null, error: 'no answer within 200 ms' });
  });
});
