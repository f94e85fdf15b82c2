import { spawn } from 'node:child_process';
import { ConfigError } from '../../config/env';
import { isAlive } from '../../os/processes';
import { supervisorPidFromEnv, watchProcesses } from '../processWatch';
import { waitFor } from '@car-check/test-support/waitFor';

describe('watching another process', () => {
  it('calls back once, with its pid, when one of the watched processes is gone', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const gone: number[] = [];
    const stop = watchProcesses([process.pid, child.pid!], (pid) => gone.push(pid), 20);
    try {
      expect(isAlive(child.pid!)).toBe(true);
      expect(gone).toEqual([]);
      child.kill('SIGKILL');
      await exited;
      await waitFor(() => gone.length > 0, 30_000, 'the watch to notice');
      expect(gone).toEqual([child.pid]);
      expect(isAlive(child.pid!)).toBe(false);
    } finally {
      stop();
    }
  });

  it('reads SUPERVISOR_PID through the configuration: absent is fine, nonsense is a configuration error', () => {
    expect(supervisorPidFromEnv({})).toBeUndefined();
    expect(supervisorPidFromEnv({ SUPERVISOR_PID: '1234' })).toBe(1234);
    expect(() => supervisorPidFromEnv({ SUPERVISOR_PID: 'me' })).toThrow(ConfigError);
  });
});
