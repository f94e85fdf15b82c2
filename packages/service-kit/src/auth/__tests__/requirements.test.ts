import { parse } from 'graphql';
import { ANONYMOUS } from '../identity';
import { denial, readRequirements } from '../requirements';
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
