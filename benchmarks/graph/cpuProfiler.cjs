/**
 * Preloaded into the gateway by `npm run bench:graph:profile` and `npm run bench:gateway --
 * --profile` (NODE_OPTIONS=--require): each SIGUSR2 starts or stops a CPU profile, written to
 * CPU_PROFILE_DIR as `<n>.cpuprofile` (`<pid>-<n>.cpuprofile` with CPU_PROFILE_PER_PROCESS set:
 * a clustered gateway's workers, each profiled). Unlike --cpu-prof, a window covers only the
 * load it was taken under, not start-up. A profile is written before the process acknowledges
 * the stop by writing `<n>.done` (`<pid>-<n>.done`) beside it.
 */
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.CPU_PROFILE_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  let recording = false;
  let count = 0;
  const prefix = process.env.CPU_PROFILE_PER_PROCESS ? `${process.pid}-` : '';
  process.on('SIGUSR2', () => {
    if (!recording) {
      recording = true;
      session.post('Profiler.enable', () =>
        session.post(
          'Profiler.setSamplingInterval',
          { interval: Number(process.env.CPU_PROFILE_INTERVAL_US) || 100 },
          () => session.post('Profiler.start'),
        ),
      );
      return;
    }
    recording = false;
    session.post('Profiler.stop', (error, result) => {
      count += 1;
      if (!error) fs.writeFileSync(path.join(dir, `${prefix}${count}.cpuprofile`), JSON.stringify(result.profile));
      fs.writeFileSync(path.join(dir, `${prefix}${count}.done`), error ? String(error) : 'ok');
    });
  });
}
