import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { readEnv } from '../config/env';
import { sha256Bytes } from '../crypto/hash';

/**
 * Who may read a service's operational details (`/ready`'s dependencies,
 * versions and schema hashes, `/metrics`): a caller presenting the management
 * token, `Authorization: Bearer <MANAGEMENT_TOKEN>` (Prometheus scrapes with a
 * bearer token). Anyone else gets status only. Without a configured token no
 * caller qualifies: the details are never served.
 */
export interface ManagementAccess {
  /** Whether MANAGEMENT_TOKEN is set on this service. */
  readonly configured: boolean;
  allows(headers: IncomingHttpHeaders): boolean;
}

/** MANAGEMENT_TOKEN, read once with the service's configuration. */
export function managementTokenFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return readEnv({ MANAGEMENT_TOKEN: z.string().min(32, { error: 'must be at least 32 characters' }).optional() }, env)
    .MANAGEMENT_TOKEN;
}

// Compared as digests: equal lengths for timingSafeEqual, and no timing hint of the token's length.

export function managementAccess(token: string | undefined): ManagementAccess {
  const expected = token ? sha256Bytes(token) : null;
  return {
    configured: expected !== null,
    allows(headers) {
      if (!expected) return false;
      const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
      return match !== null && timingSafeEqual(sha256Bytes(match[1]!), expected);
    },
  };
}

/** One start-up line saying whether the details are served, and how to see them. */
export function describeManagementAccess(access: ManagementAccess, production: boolean): string {
  if (access.configured) return '/ready details and /metrics need Authorization: Bearer <MANAGEMENT_TOKEN>';
  return production
    ? 'MANAGEMENT_TOKEN is not set: /ready and /health answer status only and /metrics is never served (set MANAGEMENT_TOKEN, at least 32 characters, to read them)'
    : 'MANAGEMENT_TOKEN is not set: /ready and /health answer status only and /metrics is not served; to see them, set MANAGEMENT_TOKEN (at least 32 characters) and send Authorization: Bearer <token>';
}
