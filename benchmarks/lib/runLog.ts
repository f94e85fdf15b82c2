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

/** Runs `work` over `items`, `concurrency` at a time. */
export async function pool<T>(
  items: T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}
