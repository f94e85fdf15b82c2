import { createCipheriv, createDecipheriv, createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { type SigningKey, WHSEC_PREFIX } from './signing';

/**
 * Endpoint secrets: generated here, shown once, stored encrypted with AES-256-GCM under
 * WEBHOOK_SECRETS_KEY (`v1.<iv>.<tag>.<ciphertext>`, base64url parts). Outside production,
 * without that variable, the key is derived from the signing secret, as the development
 * event keys are. Nothing here logs a secret.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('An AES-256 key is 32 bytes.');
  }

  /** The development key: derived from the service signing secret (never used in production). */
  static development(signingSecret: Buffer): SecretBox {
    return new SecretBox(
      createHmac('sha256', signingSecret).update('car-check development webhook secrets key').digest(),
    );
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('not a sealed webhook secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}

export type SigningScheme = SigningKey['kind'];

/** A fresh key for an endpoint: the text to store (sealed), what the client sees once, and the public key. */
export interface GeneratedSecret {
  /** The secret as stored (before sealing): a `whsec_` secret or a PKCS#8 PEM. */
  stored: string;
  /** What the create or rotate mutation returns: the `whsec_` secret; null for Ed25519. */
  shown: string | null;
  publicKey: string | null;
}

export function generateSecret(scheme: SigningScheme): GeneratedSecret {
  if (scheme === 'HMAC_SHA256') {
    const secret = `${WHSEC_PREFIX}${randomBytes(32).toString('base64')}`;
    return { stored: secret, shown: secret, publicKey: null };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    stored: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    shown: null,
    publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** A stored (opened) secret as a signing key. */
export function signingKeyOf(scheme: SigningScheme, stored: string): SigningKey {
  return scheme === 'HMAC_SHA256' ? { kind: scheme, secret: stored } : { kind: scheme, privateKeyPem: stored };
}
