import { EventEmitter } from 'node:events';
import { Supervisor, type SupervisedChild, type SupervisorOptions } from '../supervisor';

/** A process that does nothing until told to exit; records the signals it got. */
class FakeChild extends EventEmitter implements SupervisedChild {
  readonly signals: NodeJS.Signals[] = [];
  exited = false;
  /** Exits on SIGTERM (after `termDelayMs` of fake time), or never (`'hang'`). */
  constructor(
    readonly name: string,
    readonly pid: number,
    private readonly onTerm: number | 'hang',
  ) {
    super();
  }
  kill(signal: NodeJS.Signals): boolean {
    if (this.exited) return false;
    this.signals.push(signal);
    if (signal === 'SIGKILL') this.exit(null, 'SIGKILL');
    else if (signal === 'SIGTERM' && this.onTerm !== 'hang') {
      const delayMs = this.onTerm;
      setTimeout(() => this.exit(0, null), delayMs);
    }
    return true;
  }
  /** The process ends (a crash when nobody asked it to). */
  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    this.emit('exit', code, signal);
  }
}

const SUBGRAPHS = ['car', 'cost-center', 'user'];

function harness(
  options: { onTerm?: Record<string, number | 'hang'>; stopGraceMs?: number } & Pick<
    SupervisorOptions,
    'hopelessExitCodes' | 'onHopeless' | 'onGivenUp'
  > = {},
) {
  const spawned: FakeChild[] = [];
  const lines: string[] = [];
  /** What happened, in order, across all services: "spawn car", "SIGTERM gateway", "exit gateway". */
  const events: string[] = [];
  let nextPid = 100;
  const supervisor = new Supervisor({
    spawn: (name) => {
      const child = new FakeChild(name, nextPid++, options.onTerm?.[name] ?? 10);
      const kill = child.kill.bind(child);
      child.kill = (signal) => {
        events.push(`${signal} ${name}`);
        return kill(signal);
      };
      child.once('exit', () => events.push(`exit ${name}`));
      spawned.push(child);
      events.push(`spawn ${name}`);
      return child;
    },
    log: (line) => lines.push(line),
    stopGraceMs: options.stopGraceMs ?? 15_000,
    stopOrder: [['gateway'], SUBGRAPHS],
    hopelessExitCodes: options.hopelessExitCodes,
    onHopeless: options.onHopeless,
    onGivenUp: options.onGivenUp,
  });
  const latest = (name: string) => spawned.filter((child) => child.name === name).at(-1)!;
  const spawns = (name: string) => spawned.filter((child) => child.name === name).length;
  return { supervisor, spawned, lines, events, latest, spawns };
}

function startGraph(h: ReturnType<typeof harness>) {
  for (const name of [...SUBGRAPHS, 'gateway']) h.supervisor.start(name);
}

beforeEach(() => {
  jest.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('Supervisor', () => {
  it('logs the pid of every service it starts', () => {
    const h = harness();
    startGraph(h);
    expect(h.lines).toEqual([
      'supervisor: started car (pid 100)',
      'supervisor: started cost-center (pid 101)',
      'supervisor: started user (pid 102)',
      'supervisor: started gateway (pid 103)',
    ]);
    expect(h.supervisor.pid('car')).toBe(100);
  });

  it('restarts a crashed service after a delay that doubles with each crash in a row, leaving the others alone', async () => {
    const h = harness();
    startGraph(h);
    const expectedDelays = [250, 500, 1_000, 2_000];
    for (const [index, delayMs] of expectedDelays.entries()) {
      const before = h.spawns('car');
      h.latest('car').exit(null, 'SIGKILL');
      expect(h.supervisor.state('car')).toBe('restarting');
      expect(h.lines.at(-1)).toBe(`supervisor: car exited (signal SIGKILL); restart ${index + 1} in ${delayMs} ms`);
      await jest.advanceTimersByTimeAsync(delayMs - 1);
      expect(h.spawns('car')).toBe(before);
      await jest.advanceTimersByTimeAsync(1);
      expect(h.spawns('car')).toBe(before + 1);
      expect(h.supervisor.state('car')).toBe('running');
      // Ran a while, but not long enough to count as recovered.
      await jest.advanceTimersByTimeAsync(2_000);
    }
    expect(['cost-center', 'user', 'gateway'].map((name) => [name, h.spawns(name), h.latest(name).signals])).toEqual([
      ['cost-center', 1, []],
      ['user', 1, []],
      ['gateway', 1, []],
    ]);
  });

  it('caps the delay at 5 s, and starts over once the service has run for a minute', async () => {
    const h = harness();
    startGraph(h);
    const delays: number[] = [];
    // One crash every 25 s: never 5 within a minute, so it is never given up on.
    for (let crash = 0; crash < 7; crash += 1) {
      h.latest('car').exit(1, null);
      delays.push(Number(/in (\d+) ms$/.exec(h.lines.at(-1)!)![1]));
      await jest.advanceTimersByTimeAsync(25_000);
    }
    expect(delays).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(h.lines.at(-2)).toMatch(/^supervisor: car exited \(code 1\); restart 7 in 5000 ms$/);
    await jest.advanceTimersByTimeAsync(60_000);
    h.latest('car').exit(1, null);
    expect(h.lines.at(-1)).toBe('supervisor: car exited (code 1); restart 1 in 250 ms');
  });

  it('gives up on a service after 5 crashes within 60 s, and only on that one', async () => {
    const h = harness();
    startGraph(h);
    for (let crash = 1; crash <= 4; crash += 1) {
      h.latest('user').exit(1, null);
      await jest.advanceTimersByTimeAsync(5_000);
      expect(h.supervisor.state('user')).toBe('running');
    }
    h.latest('user').exit(1, null);
    expect(h.supervisor.state('user')).toBe('given-up');
    expect(h.lines.at(-1)).toBe('supervisor: user exited (code 1); GIVING UP on user: 5 crashes within 60 s.');
    await jest.advanceTimersByTimeAsync(120_000);
    expect(h.spawns('user')).toBe(5);
    for (const name of ['car', 'cost-center', 'gateway']) {
      expect([name, h.supervisor.state(name), h.latest(name).signals]).toEqual([name, 'running', []]);
    }
    // Stopping does not try to stop what is no longer there.
    await Promise.all([h.supervisor.stop(), jest.advanceTimersByTimeAsync(1_000)]);
    expect(h.events.filter((event) => event.endsWith(' user'))).not.toContain('SIGTERM user');
  });

  it('stops the gateway first and signals the subgraphs only once it has exited', async () => {
    // The gateway takes 3 s to finish its requests in flight.
    const h = harness({ onTerm: { gateway: 3_000 } });
    startGraph(h);
    h.events.length = 0;
    let stopped = false;
    void h.supervisor.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(2_999);
    expect(h.events).toEqual(['SIGTERM gateway']);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.events).toEqual(['SIGTERM gateway', 'exit gateway', 'SIGTERM car', 'SIGTERM cost-center', 'SIGTERM user']);
    expect(stopped).toBe(false);
    await jest.advanceTimersByTimeAsync(10);
    expect(h.events.slice(5).sort()).toEqual(['exit car', 'exit cost-center', 'exit user']);
    expect(stopped).toBe(true);
    // Exits while stopping are not crashes: nothing restarts.
    await jest.advanceTimersByTimeAsync(60_000);
    expect(h.spawned).toHaveLength(4);
  });

  it('SIGKILLs a service that does not exit within the grace period, then moves on', async () => {
    const h = harness({ onTerm: { gateway: 'hang', car: 'hang' }, stopGraceMs: 15_000 });
    startGraph(h);
    h.events.length = 0;
    let stopped = false;
    void h.supervisor.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(14_999);
    expect(h.events).toEqual(['SIGTERM gateway']);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.events.slice(0, 3)).toEqual(['SIGTERM gateway', 'SIGKILL gateway', 'exit gateway']);
    expect(h.lines).toContain('supervisor: gateway did not exit within 15000 ms of SIGTERM; sending SIGKILL');
    await jest.advanceTimersByTimeAsync(10);
    expect(h.events).toContain('exit user');
    expect(h.latest('car').exited).toBe(false);
    expect(stopped).toBe(false);
    await jest.advanceTimersByTimeAsync(15_000);
    expect(h.latest('car').signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(stopped).toBe(true);
  });

  it('does not restart a service whose restart was pending when stopping began', async () => {
    const h = harness();
    startGraph(h);
    h.latest('car').exit(1, null);
    await Promise.all([h.supervisor.stop(), jest.advanceTimersByTimeAsync(100)]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(h.spawns('car')).toBe(1);
    expect(h.supervisor.state('car')).toBe('stopped');
  });

  it('reports when every service has been given up on, and killAll SIGKILLs what still runs', async () => {
    let allGivenUp = 0;
    const children: FakeChild[] = [];
    const supervisor = new Supervisor({
      spawn: (name) => {
        const child = new FakeChild(name, 200 + children.length, 10);
        children.push(child);
        return child;
      },
      log: () => undefined,
      stopGraceMs: 1_000,
      onAllGivenUp: () => (allGivenUp += 1),
    });
    supervisor.start('a');
    supervisor.start('b');
    const crashFiveTimes = async (name: string) => {
      for (let crash = 0; crash < 5; crash += 1) {
        children
          .filter((child) => child.name === name)
          .at(-1)!
          .exit(1, null);
        await jest.advanceTimersByTimeAsync(5_000);
      }
    };
    await crashFiveTimes('a');
    expect([supervisor.state('a'), supervisor.state('b'), allGivenUp]).toEqual(['given-up', 'running', 0]);
    supervisor.killAll();
    expect(children.filter((child) => child.name === 'b').at(-1)!.signals).toEqual(['SIGKILL']);
    expect(children.filter((child) => child.name === 'a').every((child) => child.signals.length === 0)).toBe(true);
    // b's SIGKILL counted as its first crash; four more and nothing is left.
    await jest.advanceTimersByTimeAsync(1_000);
    for (let crash = 0; crash < 4; crash += 1) {
      children
        .filter((child) => child.name === 'b')
        .at(-1)!
        .exit(1, null);
      await jest.advanceTimersByTimeAsync(5_000);
    }
    expect([supervisor.state('b'), allGivenUp]).toEqual(['given-up', 1]);
  });

  it('a crash while the gateway drains is logged, not restarted', async () => {
    const h = harness({ onTerm: { gateway: 1_000 } });
    startGraph(h);
    void h.supervisor.stop();
    await jest.advanceTimersByTimeAsync(500);
    h.latest('cost-center').exit(1, null);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(h.spawns('cost-center')).toBe(1);
    expect(h.lines).toContain('supervisor: cost-center exited (code 1)');
    expect(h.latest('cost-center').signals).toEqual([]);
  });

  it('restart() stops a service gracefully and starts it at once, without counting a crash; it revives one given up on', async () => {
    const h = harness();
    startGraph(h);
    const first = h.latest('car');
    await Promise.all([h.supervisor.restart('car'), jest.advanceTimersByTimeAsync(100)]);
    expect(first.signals).toEqual(['SIGTERM']);
    expect(h.spawns('car')).toBe(2);
    expect(h.supervisor.state('car')).toBe('running');
    // Five deliberate restarts within a minute are not five crashes.
    for (let restart = 0; restart < 5; restart += 1) {
      await Promise.all([h.supervisor.restart('car'), jest.advanceTimersByTimeAsync(100)]);
    }
    expect(h.supervisor.state('car')).toBe('running');
    expect(h.spawns('car')).toBe(7);

    for (let crash = 0; crash < 5; crash += 1) {
      h.latest('user').exit(1, null);
      await jest.advanceTimersByTimeAsync(5_000);
    }
    expect(h.supervisor.state('user')).toBe('given-up');
    await h.supervisor.restart('user');
    expect(h.supervisor.state('user')).toBe('running');
    expect(h.spawns('user')).toBe(6);
  });

  it('never restarts a service that exits with a code no restart fixes, and says so once', async () => {
    const hopeless: string[] = [];
    const h = harness({
      hopelessExitCodes: { 78: 'a configuration error' },
      onHopeless: (name, code, meaning) => hopeless.push(`${name} ${code} ${meaning}`),
    });
    startGraph(h);
    h.latest('user').exit(78, null);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(h.spawns('user')).toBe(1);
    expect(h.supervisor.state('user')).toBe('given-up');
    expect(hopeless).toEqual(['user 78 a configuration error']);
    expect(h.lines.filter((line) => line.includes('user exited'))).toEqual([
      'supervisor: user exited (code 78: a configuration error, which no restart fixes); not restarting it',
    ]);
    // Another code is still a crash worth a restart.
    h.latest('car').exit(1, null);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(h.spawns('car')).toBe(2);
    expect(hopeless).toHaveLength(1);
  });

  it('tells its owner when it gives up on a crashing service', async () => {
    const givenUp: string[] = [];
    const h = harness({ onGivenUp: (name) => givenUp.push(name) });
    startGraph(h);
    for (let crash = 1; crash <= 5; crash += 1) {
      expect(givenUp).toEqual([]);
      h.latest('car').exit(1, null);
      await jest.advanceTimersByTimeAsync(5_000);
    }
    expect(givenUp).toEqual(['car']);
  });
});
