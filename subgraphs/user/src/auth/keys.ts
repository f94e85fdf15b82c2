import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { developmentFile, TOKEN_ALGORITHM } from '@car-check/service-kit';
import type { AuthConfig } from './config';

export interface SigningKeys {
  privateKey: KeyObject;
  /** The public half as served from the JWKS endpoint. */
  publicJwk: JWK;
  kid: string;
}

/** The token-signing key: configured in production, generated once under DATA_DIR in development. */
export async function loadSigningKeys(config: AuthConfig): Promise<SigningKeys> {
  const pem =
    config.privateKeyPem ??
    (await developmentFile(config.dataDir, 'jwt-signing-key.pem', () =>
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    ));
  const privateKey = createPrivateKey(pem);
  const jwk = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, kid, publicJwk: { ...jwk, kid, alg: TOKEN_ALGORITHM, use: 'sig' } };
}
