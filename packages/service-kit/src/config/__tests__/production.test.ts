import { authConfigFromEnv, seedPasswordFromEnv } from '../../../../../subgraphs/user/src/auth/config';
import { loadGatewayConfig } from '../../../../../gateway/src/config';
import { ConfigError } from '../env';
import { signingConfigFromEnv } from '../signing';

describe('production refuses to start without its secrets', () => {
  const production = { NODE_ENV: 'production' };

  it('GATEWAY_SIGNING_SECRET is required (and long enough)', () => {
    expect(() => signingConfigFromEnv(production, true)).toThrow(/GATEWAY_SIGNING_SECRET/);
    expect(() => signingConfigFromEnv({ ...production, GATEWAY_SIGNING_SECRET: 'short' }, true)).toThrow(
      /GATEWAY_SIGNING_SECRET/,
    );
    expect(() => loadGatewayConfig(production)).toThrow(ConfigError);
    expect(signingConfigFromEnv({}, false).source.kind).toBe('development');
  });

  it('JWT_PRIVATE_KEY is required by the user service, and must be an Ed25519 key', () => {
    expect(() => authConfigFromEnv(production)).toThrow(/JWT_PRIVATE_KEY/);
    expect(() => authConfigFromEnv({ JWT_PRIVATE_KEY: 'not a key' })).toThrow(/JWT_PRIVATE_KEY/);
    expect(authConfigFromEnv({}).privateKeyPem).toBeNull();
  });

  it('demo passwords default only outside production', () => {
    expect(seedPasswordFromEnv({})).toBe('dev-password');
    expect(() => seedPasswordFromEnv(production)).toThrow(/SEED_PASSWORD/);
  });

  it('production turns Sandbox and introspection off unless asked for', () => {
    const config = loadGatewayConfig({ ...production, GATEWAY_SIGNING_SECRET: 'x'.repeat(32) });
    expect(config).toMatchObject({ introspection: false, landingPage: false, corsOrigins: [] });
    expect(loadGatewayConfig({}).introspection).toBe(true);
  });
});
