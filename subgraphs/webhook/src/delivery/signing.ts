import { createHmac, createPrivateKey, sign } from 'node:crypto';

/**
 * Standard Webhooks 1.0 signatures (https://www.standardwebhooks.com/): the signed content
 * is `<webhook-id>.<webhook-timestamp>.<body>`; `v1,<base64>` is its HMAC-SHA256 under the
 * base64 bytes of a `whsec_` secret, `v1a,<base64>` its Ed25519 signature. Several
 * signatures (a rotation's old and new secret) are separated by spaces: a receiver accepts
 * the message when any one verifies.
 */

/** A key that signs deliveries: a `whsec_` secret, or a PKCS#8 PEM Ed25519 private key. */
export type SigningKey = { kind: 'HMAC_SHA256'; secret: string } | { kind: 'ED25519'; privateKeyPem: string };

export const WHSEC_PREFIX = 'whsec_';

export function signedContent(messageId: string, timestampSeconds: number, body: string): string {
  return `${messageId}.${timestampSeconds}.${body}`;
}

function signOne(key: SigningKey, content: string): string {
  if (key.kind === 'HMAC_SHA256') {
    const bytes = Buffer.from(key.secret.slice(WHSEC_PREFIX.length), 'base64');
    return `v1,${createHmac('sha256', bytes).update(content).digest('base64')}`;
  }
  return `v1a,${sign(null, Buffer.from(content), createPrivateKey(key.privateKeyPem)).toString('base64')}`;
}

/** The `webhook-signature` header's value: one signature per key, newest key first. */
export function signatureHeader(
  keys: readonly SigningKey[],
  messageId: string,
  timestampSeconds: number,
  body: string,
) {
  const content = signedContent(messageId, timestampSeconds, body);
  return keys.map((key) => signOne(key, content)).join(' ');
}

/** The three Standard Webhooks headers of one attempt. */
export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function webhookHeaders(
  keys: readonly SigningKey[],
  messageId: string,
  timestampSeconds: number,
  body: string,
): WebhookHeaders {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signatureHeader(keys, messageId, timestampSeconds, body),
  };
}
