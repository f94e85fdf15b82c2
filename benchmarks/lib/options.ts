import { parseArgs } from 'node:util';

/** A number on a benchmark's command line: its default (else absent means undefined) and the values it may take. */
interface NumberOption {
  type: 'number';
  default?: number;
  min?: number;
  max?: number;
  /** `min` itself is refused (the range is printed `(min, max]`). */
  minExcluded?: boolean;
  integer?: boolean;
  /** Said after the range when a value is refused. */
  why?: string;
}

type OptionSpec = NumberOption | { type: 'boolean' } | { type: 'string'; default: string };

type ValueOf<Spec> = Spec extends { type: 'number'; default: number }
  ? number
  : Spec extends { type: 'number' }
    ? number | undefined
    : Spec extends { type: 'boolean' }
      ? boolean
      : string;

function checkNumber(name: string, spec: NumberOption, value: number): number {
  const { min = -Infinity, max = Infinity } = spec;
  const inRange = (spec.minExcluded ? value > min : value >= min) && value <= max;
  if ((spec.integer && !Number.isInteger(value)) || !inRange) {
    const range = `${spec.minExcluded ? '(' : '['}${min}, ${max}]`;
    throw new Error(
      `--${name} must be ${spec.integer ? 'an integer ' : ''}in ${range}${spec.why ? ` ${spec.why}` : ''}`,
    );
  }
  return value;
}

/**
 * A benchmark's command-line options, parsed and checked in the order given: a number out of its
 * range is refused with a message that names the range, and an unknown option is refused.
 */
export function benchmarkOptions<const Specs extends Record<string, OptionSpec>>(
  specs: Specs,
  args: string[] = process.argv.slice(2),
): { [Name in keyof Specs]: ValueOf<Specs[Name]> } {
  const { values } = parseArgs({
    args,
    options: Object.fromEntries(
      Object.entries(specs).map(([name, spec]) => [
        name,
        spec.type === 'boolean'
          ? { type: 'boolean' as const, default: false }
          : spec.default === undefined
            ? { type: 'string' as const }
            : { type: 'string' as const, default: String(spec.default) },
      ]),
    ),
  });
  const parsed = Object.entries(specs).map(([name, spec]) => {
    const value = values[name];
    if (spec.type !== 'number' || value === undefined) return [name, value];
    return [name, checkNumber(name, spec, Number(value))];
  });
  return Object.fromEntries(parsed) as { [Name in keyof Specs]: ValueOf<Specs[Name]> };
}
