import { createPublicKey, verify } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { generateSecret, SecretBox, signingKeyOf } from '../secrets';
import { webhookHeaders } from '../signing';

const body = JSON.stringify({ specversion: '1.0', id: 'e1', type: 'car.created', data: { changes: [] } });
const now = () => Math.floor(Date.now() / 1000);

describe('Standard Webhooks signatures', () => {
  it('signs with HMAC-SHA256 as the standardwebhooks package verifies, and nothing else verifies', () => {
    const secret = generateSecret('HMAC_SHA256').shown!;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const headers = webhookHeaders([signingKeyOf('HMAC_SHA256', secret)], 'msg_1', now(), body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(generateSecret('HMAC_SHA256').shown!).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow();
  });

  it('carries one signature per key during a rotation: each secret verifies on its own', () => {
    const [oldSecret, newSecret] = [generateSecret('HMAC_SHA256').shown!, generateSecret('HMAC_SHA256').shown!];
    const keys = [signingKeyOf('HMAC_SHA256', newSecret), signingKeyOf('HMAC_SHA256', oldSecret)];
    const headers = webhookHeaders(keys, 'msg_1', now(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(body, headers)).not.toThrow();
  });

  it('signs with Ed25519 (v1a) over id.timestamp.body, verifiable with the published public key', () => {
    const generated = generateSecret('ED25519');
    expect(generated.shown).toBeNull();
    const timestamp = now();
    const headers = webhookHeaders([signingKeyOf('ED25519', generated.stored)], 'msg_9', timestamp, body);
    const [scheme, signature] = headers['webhook-signature'].split(',');
    expect(scheme).toBe('v1a');
    const key = createPublicKey(generated.publicKey!);
    expect(verify(null, Buffer.from(`msg_9.${timestamp}.${body}`), key, Buffer.from(signature!, 'base64'))).toBe(true);
    expect(verify(null, Buffer.from(`msg_9.${timestamp}.${body}x`), key, Buffer.from(signature!, 'base64'))).toBe(
      false,
    );
  });
});

describe('SecretBox (AES-256-GCM)', () => {
  it('opens what it sealed, never stores the plaintext, and refuses another key or a changed byte', () => {
    const box = new SecretBox(Buffer.alloc(32, 7));
    const sealed = box.seal('whsec_c2VjcmV0');
    expect(sealed).not.toContain('c2VjcmV0');
    expect(box.seal('whsec_c2VjcmV0')).not.toBe(sealed);
    expect(box.open(sealed)).toBe('whsec_c2VjcmV0');
    expect(() => new SecretBox(Buffer.alloc(32, 8)).open(sealed)).toThrow();
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => box.open(tampered)).toThrow();
  });

  it('derives the same development key from the same signing secret', () => {
    const sealed = SecretBox.development(Buffer.from('s1')).seal('x');
    expect(SecretBox.development(Buffer.from('s1')).open(sealed)).toBe('x');
    expect(() => SecretBox.development(Buffer.from('s2')).open(sealed)).toThrow();
  });
});
