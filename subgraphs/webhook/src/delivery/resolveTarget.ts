import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { forbiddenReason } from './addressPolicy';

/** Resolves a host name to its addresses (node's resolver; tests pass one whose answers change). */
export type Resolver = (host: string) => Promise<{ address: string; family: 4 | 6 }[]>;

export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

export interface UrlPolicy {
  /** Development: http:// and private, loopback addresses are allowed. */
  allowPrivate: boolean;
}

/** Where one attempt connects: the URL, and the checked address the connection is pinned to. */
export interface Target {
  url: URL;
  address: string;
  family: 4 | 6;
}

/** An endpoint URL this policy refuses; the message says why, without echoing secrets in the URL. */
export class RefusedUrl extends Error {
  override readonly name = 'RefusedUrl';
}

/** Checks a URL's shape (scheme, no credentials) before any DNS. */
export function checkUrlShape(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RefusedUrl('is not an absolute URL');
  }
  const schemes = policy.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    throw new RefusedUrl(policy.allowPrivate ? 'must be http:// or https://' : 'must be https://');
  }
  if (url.username || url.password) throw new RefusedUrl('must not hold credentials');
  return url;
}

/**
 * Resolves an endpoint's host and checks every address it resolves to (one forbidden
 * address refuses the URL: a resolver may pick any of them). Returns the address to
 * connect to; the caller must connect to it and to nothing else.
 */
export async function resolveTarget(raw: string, policy: UrlPolicy, resolve: Resolver): Promise<Target> {
  const url = checkUrlShape(raw, policy);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = isIP(host);
  let addresses: { address: string; family: 4 | 6 }[];
  if (literal) addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      throw new RefusedUrl(`host ${host} does not resolve (${(error as Error).message})`);
    }
  }
  if (addresses.length === 0) throw new RefusedUrl(`host ${host} does not resolve`);
  if (!policy.allowPrivate) {
    for (const { address } of addresses) {
      const reason = forbiddenReason(address);
      if (reason) throw new RefusedUrl(`resolves to ${address}, a ${reason} address`);
    }
  }
  return { url, ...addresses[0]! };
}
