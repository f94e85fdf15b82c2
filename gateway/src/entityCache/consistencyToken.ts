/**
 * The consistency token (docs/entity-cache.md): per owner subgraph, a position in its event
 * feed, written as base64url JSON. A mutation's answer carries the positions its writes
 * reached; a later request that sends the token back is never served an entity entry older
 * than those writes.
 */
export const CONSISTENCY_TOKEN_HEADER = 'consistency-token';

/** Longest token accepted, in characters: a position per subgraph fits many times over. */
const MAX_TOKEN_LENGTH = 1024;
const MAX_OWNERS = 32;
const OWNER = /^[a-z][a-z0-9-]{0,62}$/;

export type Positions = ReadonlyMap<string, number>;

export function encodeConsistencyToken(positions: Positions): string {
  return Buffer.from(
    JSON.stringify(Object.fromEntries([...positions].sort(([a], [b]) => a.localeCompare(b)))),
  ).toString('base64url');
}

/** The positions a token names, or null when it is not one this gateway could have written. */
export function decodeConsistencyToken(token: string): Positions | null {
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length > MAX_OWNERS) return null;
  const positions = new Map<string, number>();
  for (const [owner, position] of entries) {
    if (!OWNER.test(owner) || typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0)
      return null;
    positions.set(owner, position);
  }
  return positions;
}

/** Both tokens' positions, the later of two per owner. */
export function laterPositions(a: Positions | undefined, b: Positions | undefined): Map<string, number> {
  const merged = new Map(a ?? []);
  for (const [owner, position] of b ?? []) merged.set(owner, Math.max(position, merged.get(owner) ?? 0));
  return merged;
}
