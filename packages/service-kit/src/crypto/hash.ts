import { createHash } from 'node:crypto';

/** The SHA-256 digest of a text (UTF-8) or bytes, as lowercase hex. */
export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The SHA-256 digest as standard base64 (with padding), e.g. for an HTTP `Content-Digest`. */
export const sha256Base64 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('base64');

/** The SHA-256 digest as URL-safe base64 without padding, e.g. for an identifier. */
export const sha256Base64Url = (data: string | Uint8Array): string =>
  createHash('sha256').update(data).digest('base64url');

/** The raw SHA-256 digest, e.g. to compare two secrets in constant time. */
export const sha256Bytes = (data: string | Uint8Array): Buffer => createHash('sha256').update(data).digest();
