/**
 * The PostgreSQL server a benchmark creates its database on: BENCH_DATABASE_URL, else the tests'
 * TEST_DATABASE_URL, else this machine's default.
 */
export const benchPostgresAdminUrl = (): string =>
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * A benchmark's console log: progress lines carry the time since `began`; lines that are empty or
 * start with a space (the results table) are printed as they are.
 */
export function progressLog(began = performance.now()): (line: string) => void {
  return (line) =>
    console.log(
      line === '' || line.startsWith(' ')
        ? line
        : `[${((performance.now() - began) / 1000).toFixed(1).padStart(6)} s] ${line}`,
    );
}

/** A command-line option's integer value, refused (with the option's name and range) outside [min, max]. */
export function integerOption(
  values: Record<string, string | undefined>,
  name: string,
  min: number,
  max: number,
): number {
  const value = Number(values[name]);
  if (!(Number.isInteger(value) && value >= min && value <= max))
    throw new Error(`--${name} must be an integer in [${min}, ${max}]`);
  return value;
}
