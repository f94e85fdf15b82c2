import { Kind, type DirectiveNode, type DocumentNode, type ValueNode } from 'graphql';
import type { StatusCode } from '../errors/catalog';
import type { CallerIdentity } from './identity';

/**
 * What a field requires, as declared with Federation's `@authenticated` and
 * `@requiresScopes(scopes: [[...]])` (any one inner list, all of its scopes).
 */
export interface Requirement {
  authenticated: boolean;
  /** Alternatives: the caller needs every scope of at least one of them. */
  scopes: string[][];
}

/** `Type.field` → requirement, read from an SDL (a subgraph's or the supergraph). */
export type Requirements = ReadonlyMap<string, Requirement>;

export function readRequirements(document: DocumentNode): Requirements {
  const requirements = new Map<string, Requirement>();
  for (const definition of document.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION
    ) {
      continue;
    }
    for (const field of definition.fields ?? []) {
      const requirement = requirementOf(field.directives ?? []);
      if (requirement) requirements.set(`${definition.name.value}.${field.name.value}`, requirement);
    }
  }
  return requirements;
}

function requirementOf(directives: readonly DirectiveNode[]): Requirement | null {
  const authenticated = directives.some((d) => d.name.value === 'authenticated');
  const scopes = directives
    .filter((d) => d.name.value === 'requiresScopes')
    .flatMap((d) => scopeLists(d.arguments?.find((a) => a.name.value === 'scopes')?.value));
  return authenticated || scopes.length ? { authenticated: authenticated || scopes.length > 0, scopes } : null;
}

function scopeLists(value: ValueNode | undefined): string[][] {
  if (value?.kind !== Kind.LIST) return [];
  return value.values.map((inner) =>
    inner.kind === Kind.LIST ? inner.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : [])) : [],
  );
}

const isSignedIn = (caller: CallerIdentity): boolean => caller.userId !== null || caller.service !== null;

/**
 * Everything {@link denial} reads of a caller, as a key: two callers with the same key are
 * denied the same fields, so what authorization works out for one serves the other.
 */
export const denialKey = (caller: CallerIdentity): string =>
  `${isSignedIn(caller) ? 'signed-in' : 'anonymous'} ${caller.scopes.join(' ')}`;

/** Null when the caller may read the field; otherwise the code to refuse it with. */
export function denial(requirement: Requirement | undefined, caller: CallerIdentity): StatusCode | null {
  if (!requirement) return null;
  if (requirement.authenticated && !isSignedIn(caller)) return 'UNAUTHENTICATED';
  if (requirement.scopes.length === 0) return null;
  const has = new Set(caller.scopes);
  return requirement.scopes.some((all) => all.every((scope) => has.has(scope))) ? null : 'PERMISSION_DENIED';
}

/** The message that goes with a denial. */
export function denialMessage(code: StatusCode, coordinate: string, requirement: Requirement | undefined): string {
  if (code === 'UNAUTHENTICATED') return `Sign in to read ${coordinate}.`;
  const needed = requirement?.scopes.map((all) => all.join(' and ')).join(' or ');
  return `${coordinate} needs the ${needed} scope.`;
}
