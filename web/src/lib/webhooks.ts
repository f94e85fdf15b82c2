/**
 * What the Webhooks page turns form fields into. Pure functions, no React or Apollo:
 * unit-tested in webhooks.test.ts.
 */

/** Splits `car.*, cost-center.updated` (commas or spaces) into event types, without blanks or repeats. */
export function eventTypesOf(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,]+/)
        .map((type) => type.trim())
        .filter(Boolean),
    ),
  ];
}

/** A `datetime-local` value (the browser's time zone) as an ISO instant; undefined when empty or invalid. */
export function instantOf(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
