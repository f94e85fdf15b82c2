/**
 * Run by npm before `npm start`, `npm run dev` and `npm test` (their `pre` scripts): is what is
 * installed in node_modules what package-lock.json asks for? A checkout that pulled a change of
 * dependencies or workspaces and did not reinstall would otherwise stop with a module-resolution
 * stack trace from deep inside a service. It prints one line and exits 1 instead.
 *
 * The comparison is npm's own: node_modules/.package-lock.json is the record npm keeps of what it
 * installed. Every package the lockfile lists must be there at its version (optional ones may be
 * absent: they are for other platforms), and nothing may be there that the lockfile no longer lists
 * (a workspace that was renamed or removed). Plain JavaScript with Node's built-ins only, since
 * it runs when the dependencies are the thing in question.
 */
const { readFileSync } = require('node:fs');
const path = require('node:path');

/**
 * @param {string} root the repository (where package-lock.json is)
 * @returns {string | null} what is out of date, in one line, or null when the install matches
 */
function installProblem(root) {
  const wanted = readPackages(path.join(root, 'package-lock.json'));
  if (wanted === null) return null; // not a checkout with a lockfile: nothing to compare against
  const installed = readPackages(path.join(root, 'node_modules', '.package-lock.json'));
  if (installed === null) return 'dependencies are not installed: run npm install';
  const missing = [];
  const changed = [];
  for (const [location, entry] of Object.entries(wanted)) {
    if (!location.includes('node_modules/')) continue; // the root and the workspaces' own folders
    const present = installed[location];
    if (present === undefined) {
      if (!entry.optional) missing.push(location);
    } else if (present.version !== entry.version || present.resolved !== entry.resolved) {
      changed.push(location);
    }
  }
  const stale = Object.keys(installed).filter(
    (location) => location.includes('node_modules/') && !(location in wanted),
  );
  const differences = [
    ...list('missing', missing),
    ...list('at another version', changed),
    ...list('no longer in package-lock.json', stale),
  ];
  return differences.length === 0 ? null : `dependencies are out of date (${differences.join('; ')}): run npm install`;
}

/** @returns {Record<string, { version?: string, resolved?: string, optional?: boolean }> | null} */
function readPackages(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8')).packages ?? {};
  } catch (error) {
    if (error.code === 'ENOENT') return null;
    throw error;
  }
}

/** "missing: a, b and 3 more", naming packages without their node_modules/ prefix. */
function list(what, locations) {
  if (locations.length === 0) return [];
  const names = locations.map((location) => location.replace(/^(.*\/)?node_modules\//, ''));
  const shown = names.slice(0, 3).join(', ');
  return [`${what}: ${shown}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`];
}

module.exports = { installProblem };

if (require.main === module) {
  const problem = installProblem(path.resolve(__dirname, '..'));
  if (problem !== null) {
    console.error(problem);
    process.exit(1);
  }
}
