/** Every permission in the graph: a component and an action. */
export const SCOPES = [
  'car:read',
  'car:write',
  'cost-center:read',
  'cost-center:write',
  'user:read',
  'user:write',
  'audit:read',
  'webhook:read',
  'webhook:write',
  'report:read',
] as const;

export type Scope = (typeof SCOPES)[number];

/** What each group grants; a user's scopes are the union over their groups. */
export const GROUP_SCOPES: Readonly<Record<string, readonly Scope[]>> = {
  admin: SCOPES,
  'fleet-manager': ['car:read', 'car:write', 'cost-center:read', 'user:read', 'report:read'],
  viewer: ['car:read', 'cost-center:read', 'report:read'],
};

export function scopesForGroups(groups: readonly string[]): Scope[] {
  const granted = new Set(groups.flatMap((group) => GROUP_SCOPES[group] ?? []));
  return SCOPES.filter((scope) => granted.has(scope));
}
