/**
 * Keeps a set of services (child processes) running: a service that exits on
 * its own is restarted with exponential backoff while the others keep serving,
 * and one that keeps crashing is given up on alone; one that exits with a code
 * no restart can fix (a configuration error) is not restarted at all. Stopping drains in stages:
 * each stage gets SIGTERM and is waited for (SIGKILL after a grace period)
 * before the next one is signalled, so the gateway finishes its requests while
 * the subgraphs it calls are still there.
 *
 * Processes and time come in through `spawn` and `clock`, so the logic is unit
 * tested in process (scripts/lib/__tests__/supervisor.test.ts).
 */

/** What the supervisor needs of a child process; node's ChildProcess fits. */
export interface SupervisedChild {
  readonly pid?: number;
  kill(signal: NodeJS.Signals): boolean;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
}

export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock; looks the globals up on each call (so jest's fake timers apply too). */
const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface SupervisorOptions {
  /** Starts one service's process. */
  spawn: (service: string) => SupervisedChild;
  /** One line per event (started, crashed, restarting, given up, stopping, killed). */
  log: (line: string) => void;
  clock?: Clock;
  /** First restart delay; doubles with each crash in a row. Default 250 ms. */
  initialBackoffMs?: number;
  /** Largest restart delay. Default 5 s. */
  maxBackoffMs?: number;
  /** This many crashes of one service within `crashWindowMs` and it is given up on. Default 5. */
  maxCrashes?: number;
  /** Default 60 s. A service that ran this long before crashing starts its backoff over. */
  crashWindowMs?: number;
  /** How long a stopping service may take after SIGTERM before it gets SIGKILL. */
  stopGraceMs: number;
  /**
   * Stopping order: each group is signalled only once the previous one has
   * exited. Services in no group are stopped last.
   */
  stopOrder?: string[][];
  /** Called once when no service is left running or waiting to restart (all given up). */
  onAllGivenUp?: () => void;
  /**
   * Exit codes that no restart can fix, with what each means (e.g. 78: a configuration
   * error). A service exiting with one is not restarted: `onHopeless` is called instead.
   */
  hopelessExitCodes?: Readonly<Record<number, string>>;
  /** A service exited with a hopeless code (see `hopelessExitCodes`); it is not restarted. */
  onHopeless?: (service: string, code: number, meaning: string) => void;
  /** A service was given up on after crashing too often. */
  onGivenUp?: (service: string) => void;
}

export type ServiceState = 'running' | 'restarting' | 'given-up' | 'stopping' | 'stopped';

interface Service {
  name: string;
  state: ServiceState;
  child?: SupervisedChild;
  /** When the current process was started. */
  startedAt: number;
  /** Times of recent crashes (within crashWindowMs). */
  crashes: number[];
  /** Crashes in a row, for the backoff; reset when the service ran long enough. */
  streak: number;
  restartTimer?: TimerHandle;
  /** Resolves when the current process has exited. */
  exited?: Promise<void>;
}

export class Supervisor {
  private readonly services = new Map<string, Service>();
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxCrashes: number;
  private readonly crashWindowMs: number;
  private stopping: Promise<void> | undefined;
  private allGivenUpReported = false;

  constructor(private readonly options: SupervisorOptions) {
    this.clock = options.clock ?? systemClock;
    this.initialBackoffMs = options.initialBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.maxCrashes = options.maxCrashes ?? 5;
    this.crashWindowMs = options.crashWindowMs ?? 60_000;
  }

  /** Starts a service and keeps it running until `stop()`. */
  start(name: string): void {
    if (this.stopping) throw new Error(`cannot start ${name}: the supervisor is stopping`);
    if (this.services.has(name)) throw new Error(`${name} is already supervised`);
    const service: Service = { name, state: 'running', startedAt: 0, crashes: [], streak: 0 };
    this.services.set(name, service);
    this.launch(service);
  }

  /**
   * Stops a service and starts it again at once: a deliberate restart (`npm run dev`
   * after its SDL changed), not a crash, so it neither backs off nor counts towards
   * giving up, and it revives a service given up on.
   */
  async restart(name: string): Promise<void> {
    const service = this.services.get(name);
    if (!service || this.stopping) return;
    if (service.restartTimer !== undefined) {
      this.clock.clearTimeout(service.restartTimer);
      service.restartTimer = undefined;
    }
    await this.stopOne(service);
    if (this.stopping) return;
    service.crashes = [];
    service.streak = 0;
    this.launch(service);
  }

  state(name: string): ServiceState | undefined {
    return this.services.get(name)?.state;
  }

  pid(name: string): number | undefined {
    return this.services.get(name)?.child?.pid;
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /**
   * Stops every service, stage by stage (see `stopOrder`); resolves once all
   * have exited. Calling it again returns the same promise.
   */
  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  /** SIGKILLs every process still running (a second Ctrl-C). */
  killAll(): void {
    for (const service of this.services.values()) {
      if (service.child && (service.state === 'running' || service.state === 'stopping')) {
        this.options.log(`supervisor: killing ${service.name} (pid ${service.child.pid})`);
        service.child.kill('SIGKILL');
      }
    }
  }

  private launch(service: Service): void {
    service.state = 'running';
    service.startedAt = this.clock.now();
    let child: SupervisedChild;
    try {
      child = this.options.spawn(service.name);
    } catch (error) {
      // Treated like a process that exited at once.
      this.options.log(
        `supervisor: could not start ${service.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
      service.child = undefined;
      service.exited = Promise.resolve();
      this.onExit(service, null, null);
      return;
    }
    service.child = child;
    this.options.log(`supervisor: started ${service.name} (pid ${child.pid ?? 'unknown'})`);
    service.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (service.child === child) this.onExit(service, code, signal);
        resolve();
      });
    });
  }

  private onExit(service: Service, code: number | null, signal: NodeJS.Signals | null): void {
    const how = signal ? `signal ${signal}` : `code ${code ?? 'unknown'}`;
    if (this.stopping || service.state === 'stopping') {
      service.state = 'stopped';
      this.options.log(`supervisor: ${service.name} exited (${how})`);
      return;
    }
    const meaning = code === null ? undefined : this.options.hopelessExitCodes?.[code];
    if (code !== null && meaning !== undefined) {
      // Restarting would only print the same error again: whoever runs the graph must act.
      service.state = 'given-up';
      service.child = undefined;
      this.options.log(
        `supervisor: ${service.name} exited (${how}: ${meaning}, which no restart fixes); not restarting it`,
      );
      this.options.onHopeless?.(service.name, code, meaning);
      this.checkAllGivenUp();
      return;
    }
    const now = this.clock.now();
    if (now - service.startedAt >= this.crashWindowMs) service.streak = 0;
    service.streak += 1;
    service.crashes = [...service.crashes.filter((at) => now - at < this.crashWindowMs), now];
    if (service.crashes.length >= this.maxCrashes) {
      service.state = 'given-up';
      service.child = undefined;
      this.options.log(
        `supervisor: ${service.name} exited (${how}); GIVING UP on ${service.name}: ${service.crashes.length} crashes ` +
          `within ${Math.round(this.crashWindowMs / 1000)} s.`,
      );
      this.options.onGivenUp?.(service.name);
      this.checkAllGivenUp();
      return;
    }
    const delayMs = Math.min(this.initialBackoffMs * 2 ** (service.streak - 1), this.maxBackoffMs);
    service.state = 'restarting';
    service.child = undefined;
    this.options.log(`supervisor: ${service.name} exited (${how}); restart ${service.streak} in ${delayMs} ms`);
    service.restartTimer = this.clock.setTimeout(() => {
      service.restartTimer = undefined;
      if (this.stopping || service.state !== 'restarting') return;
      this.launch(service);
    }, delayMs);
  }

  private checkAllGivenUp(): void {
    if (this.allGivenUpReported) return;
    if ([...this.services.values()].every((service) => service.state === 'given-up')) {
      this.allGivenUpReported = true;
      this.options.onAllGivenUp?.();
    }
  }

  private async drain(): Promise<void> {
    // Nothing restarts from here on.
    for (const service of this.services.values()) {
      if (service.restartTimer !== undefined) {
        this.clock.clearTimeout(service.restartTimer);
        service.restartTimer = undefined;
      }
      if (service.state === 'restarting') service.state = 'stopped';
    }
    const ordered = (this.options.stopOrder ?? []).map((group) => group.filter((name) => this.services.has(name)));
    const listed = new Set(ordered.flat());
    const rest = [...this.services.keys()].filter((name) => !listed.has(name));
    for (const group of [...ordered, rest]) {
      if (group.length === 0) continue;
      await Promise.all(group.map((name) => this.stopOne(this.services.get(name)!)));
    }
  }

  private async stopOne(service: Service): Promise<void> {
    const child = service.child;
    if (!child || service.state !== 'running') return;
    service.state = 'stopping';
    this.options.log(`supervisor: stopping ${service.name} (SIGTERM to pid ${child.pid ?? 'unknown'})`);
    const killTimer = this.clock.setTimeout(() => {
      this.options.log(
        `supervisor: ${service.name} did not exit within ${this.options.stopGraceMs} ms of SIGTERM; sending SIGKILL`,
      );
      child.kill('SIGKILL');
    }, this.options.stopGraceMs);
    child.kill('SIGTERM');
    await service.exited;
    this.clock.clearTimeout(killTimer);
  }
}
