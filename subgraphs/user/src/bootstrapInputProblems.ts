import { bootstrapInput } from './bootstrap';

/** Where each field of the bootstrap input comes from, as the operator typed it. */
const SOURCE: Record<string, string> = { username: '--username', email: '--email', password: 'ADMIN_PASSWORD' };

/**
 * What is wrong with the bootstrap command's input, as one line naming each flag or
 * variable (`--username: lower-case letters, ...; ADMIN_PASSWORD: at least 12 characters`),
 * or null when it is valid. An operator reads this, not zod's JSON.
 */
export function invalidBootstrapInput(input: { username: string; email: string; password: string }): string | null {
  const result = bootstrapInput.safeParse(input);
  if (result.success) return null;
  return result.error.issues
    .map((issue) => {
      const field = String(issue.path[0] ?? '');
      return `${SOURCE[field] ?? field}: ${issue.message}`;
    })
    .join('; ');
}
