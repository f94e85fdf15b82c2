import { type CallerIdentity, signRequest, type SigningOptions } from '@car-check/service-kit';
import { TEST_SIGNING_SECRET } from './secrets';

/** The signature header for a JSON POST of `body` to `url`, as the gateway would sign it (with the test secret by default). */
export function signedPost(
  caller: CallerIdentity,
  url: string,
  body: string,
  options: SigningOptions,
  secret = TEST_SIGNING_SECRET,
): Promise<Record<string, string>> {
  return signRequest(caller, { method: 'POST', url, body }, secret, options);
}

/** The signature header for a GET of `url` (no body), as a service would sign it. */
export function signedGet(
  caller: CallerIdentity,
  url: string,
  options: SigningOptions,
  secret = TEST_SIGNING_SECRET,
): Promise<Record<string, string>> {
  return signRequest(caller, { method: 'GET', url, body: '' }, secret, options);
}
