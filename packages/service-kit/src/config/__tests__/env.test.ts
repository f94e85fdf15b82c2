import { z } from 'zod';
import { ConfigError, flag, port, postgresUrl, readEnv } from '../env';

describe('readEnv', () => {
  const shape = { APP_PORT: port(4000), DATABASE_URL: postgresUrl().optional(), LOG_PRETTY: flag(false) };

  it('applies defaults and treats empty values as unset', () => {
    expect(readEnv(shape, { APP_PORT: '', LOG_PRETTY: ' ' })).toEqual({
      APP_PORT: 4000,
      DATABASE_URL: undefined,
      LOG_PRETTY: false,
    });
    expect(readEnv(shape, { APP_PORT: '0', LOG_PRETTY: 'yes' })).toMatchObject({ APP_PORT: 0, LOG_PRETTY: true });
  });

  it('fails fast naming every bad variable', () => {
    const read = () => readEnv(shape, { APP_PORT: 'eighty', DATABASE_URL: 'mysql://db/x', LOG_PRETTY: 'maybe' });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/APP_PORT/);
    expect(read).toThrow(/DATABASE_URL/);
    expect(read).toThrow(/LOG_PRETTY/);
  });

  it('reports a missing required variable by name', () => {
    expect(() => readEnv({ JWT_ISSUER: z.string() }, {})).toThrow(/JWT_ISSUER/);
  });
});
