/**
 * Another subgraph's entity as a subgraph holds it: its key, nothing more.
 * The owning subgraph resolves the rest through `__resolveReference`.
 */
export interface EntityRef {
  id: string;
}

/** A reference the gateway can resolve, or null when the key is unset. */
export function entityRef(id: string | null | undefined): EntityRef | null {
  return id ? { id } : null;
}
