import express from 'express';
import { waitFor } from '@car-check/test-support/waitFor';
import { ServiceMetrics } from '../../metrics/metrics';
import { mountHealth, pollReadiness, type Readiness } from '../health';
import { listen } from '../http';
import { managementAccess, managementTokenFromEnv } from '../management';

const TOKEN = 'm'.repeat(40);

async function serve(token: string | undefined) {
  const app = express();
  const access = managementAccess(token);
  const stop = mountHealth(
    app,
    'test',
    async () => ({ ready: true, dependencies: { database: 'up' } }),
    () => ({ pending: 'unreleased' }),
    () => ({ version: '1.2.3', schemaHash: 'abc' }),
    access,
  );
  new ServiceMetrics('test').mount(app, access);
  const running = await listen(app, '127.0.0.1', 0);
  return {
    get: async (path: string, authorization?: string) => {
      const response = await fetch(new URL(path, running.url), { headers: authorization ? { authorization } : {} });
      return { status: response.status, text: await response.text() };
    },
    close: async () => {
      stop();
      await running.close(0);
    },
  };
}

describe('management access', () => {
  it('serves details and metrics only with the configured bearer token', async () => {
    const service = await serve(TOKEN);
    try {
      expect(JSON.parse((await service.get('/ready')).text)).toEqual({ service: 'test', status: 'ready' });
      expect(JSON.parse((await service.get('/health')).text)).toEqual({ service: 'test', status: 'ok' });
      expect((await service.get('/metrics')).status).toBe(401);
      for (const wrong of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN]) {
        expect((await service.get('/metrics', wrong)).status).toBe(401);
        expect(JSON.parse((await service.get('/ready', wrong)).text)).toEqual({ service: 'test', status: 'ready' });
      }
      const auth = `Bearer ${TOKEN}`;
      expect(JSON.parse((await service.get('/ready', auth)).text)).toEqual({
        service: 'test',
        status: 'ready',
        dependencies: { database: 'up' },
        pending: 'unreleased',
      });
      expect(JSON.parse((await service.get('/health', auth)).text)).toEqual({
        service: 'test',
        status: 'ok',
        version: '1.2.3',
        schemaHash: 'abc',
      });
      const metrics = await service.get('/metrics', auth);
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('process_cpu_user_seconds_total');
    } finally {
      await service.close();
    }
  });

  it('without a token (production unconfigured), never serves details or metrics', async () => {
    const service = await serve(undefined);
    try {
      expect(JSON.parse((await service.get('/ready', 'Bearer ')).text)).toEqual({ service: 'test', status: 'ready' });
      expect((await service.get('/metrics', 'Bearer undefined')).status).toBe(401);
    } finally {
      await service.close();
    }
  });

  it('reads MANAGEMENT_TOKEN once through the configuration, naming it when too short', () => {
    expect(managementTokenFromEnv({ MANAGEMENT_TOKEN: TOKEN })).toBe(TOKEN);
    expect(managementTokenFromEnv({})).toBeUndefined();
    expect(() => managementTokenFromEnv({ MANAGEMENT_TOKEN: 'short' })).toThrow(
      /MANAGEMENT_TOKEN: must be at least 32 characters/,
    );
  });
});

describe('pollReadiness', () => {
  it('checks in the background, one check at a time, and serves the last answer to every caller', async () => {
    let checks = 0;
    let state: Readiness = { ready: true, dependencies: { database: 'up' } };
    const poll = pollReadiness(async () => {
      checks += 1;
      return state;
    }, 20);
    try {
      await Promise.all(Array.from({ length: 1000 }, () => poll.current()));
      expect(checks).toBeLessThanOrEqual(2);
      state = { ready: false, dependencies: { database: 'down' } };
      await waitFor(async () => !(await poll.current()).ready, 10_000, 'the next background check');
      expect(await poll.current()).toEqual(state);
    } finally {
      poll.stop();
    }
  });
});
