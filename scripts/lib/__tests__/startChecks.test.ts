import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@car-check/service-kit';
import { launcherPids } from '../launchers';
import { refuseSharedPorts } from '../startChecks';
import { waitForHealthy, WrongServiceError } from '../waitForHealthy';

describe('refuseSharedPorts', () => {
  it('names both variables of two services on one port, in one line', () => {
    const check = () =>
      refuseSharedPorts([
        { variable: 'GATEWAY_PORT', port: 4000 },
        { variable: 'CAR_PORT', port: 4000 },
      ]);
    expect(check).toThrow(ConfigError);
    expect(() => check()).toThrow('GATEWAY_PORT and CAR_PORT: both are 4000; give each service a port of its own');
  });

  it('accepts distinct ports, and any number of 0 (any free port)', () => {
    expect(() =>
      refuseSharedPorts([
        { variable: 'GATEWAY_PORT', port: 4000 },
        { variable: 'CAR_PORT', port: 4001 },
        { variable: 'USER_PORT', port: 0 },
        { variable: 'COST_CENTER_PORT', port: 0 },
      ]),
    ).not.toThrow();
  });
});

describe('waitForHealthy', () => {
  let server: http.Server;
  let url: string;
  let answer: { status: number; body: unknown };

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('resolves when the service it expects answers', async () => {
    answer = { status: 200, body: { service: 'gateway', status: 'ok' } };
    await expect(waitForHealthy(url, 30_000, { service: 'gateway' })).resolves.toBeUndefined();
  });

  it('fails at once, never "up", when another service answers on the port', async () => {
    answer = { status: 200, body: { service: 'car', status: 'ok' } };
    const started = Date.now();
    const waiting = waitForHealthy(url, 60_000, { service: 'gateway' });
    await expect(waiting).rejects.toThrow(WrongServiceError);
    await expect(waiting).rejects.toThrow(`${url} answered as car, not as gateway: is another service on its port?`);
    // Not after its whole timeout: the first answer decided.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('an answer that names no service is not the one expected either', async () => {
    answer = { status: 200, body: { status: 'ok' } };
    await expect(waitForHealthy(url, 30_000, { service: 'user' })).rejects.toThrow(
      /answered as something that names no service, not as user/,
    );
  });

  it('stops waiting when aborted', async () => {
    answer = { status: 503, body: { service: 'user', status: 'starting' } };
    const controller = new AbortController();
    const waiting = waitForHealthy(url, 60_000, { service: 'user', signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toThrow();
  });
});

describe('launcherPids', () => {
  let procRoot: string;
  /** A fake /proc: each pid's parent and whether npm's variable is in its environment. */
  async function fakeProc(
    processes: Record<number, { ppid: number; underNpm: boolean; command?: string }>,
  ): Promise<void> {
    for (const [pid, { ppid, underNpm, command = 'node' }] of Object.entries(processes)) {
      await mkdir(path.join(procRoot, pid), { recursive: true });
      await writeFile(path.join(procRoot, pid, 'stat'), `${pid} (${command}) S ${ppid} ${pid} ${pid} 0 -1`);
      await writeFile(
        path.join(procRoot, pid, 'environ'),
        `PATH=/bin\0${underNpm ? 'npm_lifecycle_event=start\0' : ''}HOME=/root\0`,
      );
    }
  }

  beforeEach(async () => {
    procRoot = await mkdtemp(path.join(os.tmpdir(), 'car-check-proc-'));
  });
  afterEach(async () => {
    await rm(procRoot, { recursive: true, force: true });
  });

  it('walks from its parent up to npm: tsx, the shell, then npm itself (the first without npm’s variable)', async () => {
    const parent = process.ppid;
    await fakeProc({
      [parent]: { ppid: 900, underNpm: true, command: 'node tsx' },
      900: { ppid: 800, underNpm: true, command: 'sh' },
      800: { ppid: 700, underNpm: false, command: 'npm start' },
      700: { ppid: 1, underNpm: false, command: 'bash' },
    });
    expect(launcherPids({ npm_lifecycle_event: 'start' }, procRoot)).toEqual([parent, 900, 800]);
  });

  it('watches only its parent when npm did not start it, or when /proc cannot be read', () => {
    expect(launcherPids({}, procRoot)).toEqual([process.ppid]);
    expect(launcherPids({ npm_lifecycle_event: 'start' }, path.join(procRoot, 'nothing'))).toEqual([process.ppid]);
  });
});
