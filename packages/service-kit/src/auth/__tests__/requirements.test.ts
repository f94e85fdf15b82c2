import { parse } from 'graphql';
import { ANONYMOUS } from '../identity';
import { denial, denialKey, readRequirements } from '../requirements';
import { GROUP_SCOPES, SCOPES, scopesForGroups } from '../scopes';

const sdl = parse(`
  type Query {
    open: Int
    me: Int @authenticated
    cars: Int @requiresScopes(scopes: [["car:read"]])
    either: Int @requiresScopes(scopes: [["a", "b"], ["c"]])
  }
`);

describe('requirements from the SDL', () => {
  const requirements = readRequirements(sdl);

  it('reads @authenticated and @requiresScopes per field', () => {
    expect(requirements.get('Query.open')).toBeUndefined();
    expect(requirements.get('Query.me')).toEqual({ authenticated: true, scopes: [] });
    expect(requirements.get('Query.either')).toEqual({ authenticated: true, scopes: [['a', 'b'], ['c']] });
  });

  it('refuses anonymous callers with UNAUTHENTICATED and signed-in ones without the scope with PERMISSION_DENIED', () => {
    const viewer = { ...ANONYMOUS, userId: 'v', scopes: scopesForGroups(['viewer']) };
    expect(denial(requirements.get('Query.me'), ANONYMOUS)).toBe('UNAUTHENTICATED');
    expect(denial(requirements.get('Query.cars'), ANONYMOUS)).toBe('UNAUTHENTICATED');
    expect(denial(requirements.get('Query.me'), viewer)).toBeNull();
    expect(denial(requirements.get('Query.cars'), viewer)).toBeNull();
    expect(denial(requirements.get('Query.either'), { ...viewer, scopes: ['a'] })).toBe('PERMISSION_DENIED');
    expect(denial(requirements.get('Query.either'), { ...viewer, scopes: ['a', 'b'] })).toBeNull();
    expect(denial(requirements.get('Query.either'), { ...viewer, scopes: ['c'] })).toBeNull();
  });

  it('gives callers the same denial key exactly when every field denies them alike', () => {
    const fields = [...requirements.values()];
    const callers = [
      ANONYMOUS,
      { ...ANONYMOUS, scopes: ['car:read'] },
      { ...ANONYMOUS, userId: 'u1', scopes: ['car:read'] },
      { ...ANONYMOUS, userId: 'u2', scopes: ['car:read'] },
      { ...ANONYMOUS, service: 'report', scopes: ['car:read'] },
      { ...ANONYMOUS, userId: 'u1', scopes: ['a', 'b'] },
      { ...ANONYMOUS, userId: 'u1', scopes: ['c'] },
    ];
    for (const one of callers)
      for (const other of callers) {
        const sameDenials = fields.every((field) => denial(field, one) === denial(field, other));
        if (denialKey(one) === denialKey(other)) expect(sameDenials).toBe(true);
      }
    // Different users with the same scopes share an entry; signing in changes it.
    expect(denialKey(callers[2]!)).toBe(denialKey(callers[3]!));
    expect(denialKey(callers[1]!)).not.toBe(denialKey(callers[2]!));
  });
});

describe('groups and scopes', () => {
  it('grants what the old gateway promised, and fleet reports to every group', () => {
    // report:read adds no data: a report's dimensions and filters need their owners' read scopes too.
    expect(scopesForGroups(['admin'])).toEqual([...SCOPES]);
    expect(scopesForGroups(['fleet-manager'])).toEqual([
      'car:read',
      'car:write',
      'cost-center:read',
      'user:read',
      'report:read',
    ]);
    expect(scopesForGroups(['viewer'])).toEqual(['car:read', 'cost-center:read', 'report:read']);
    expect(scopesForGroups(['viewer', 'unknown-group'])).toEqual(['car:read', 'cost-center:read', 'report:read']);
    expect(Object.keys(GROUP_SCOPES).sort()).toEqual(['admin', 'fleet-manager', 'viewer']);
  });
});
