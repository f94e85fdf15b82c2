/** One thing wrong with a deployment artifact, printed as one line naming where it is. */
export interface Problem {
  /** Repository-relative file the problem is in. */
  file: string;
  /** What inside it: `Deployment/car (overlay prod)`, `service car`, `stage runtime`. */
  object: string;
  message: string;
}

/** What a check looked at, and what it found wrong. */
export interface CheckResult {
  checked: string[];
  problems: Problem[];
}

export function formatProblem(problem: Problem): string {
  return `${problem.file}: ${problem.object}: ${problem.message}`;
}

/** Collects problems about one file, so each rule reads as `problem(object, message)`. */
export function problemsIn(file: string): { problems: Problem[]; problem: (object: string, message: string) => void } {
  const problems: Problem[] = [];
  return { problems, problem: (object, message) => problems.push({ file, object, message }) };
}

/**
 * Environment variables whose values are secrets: they must come from a Secret
 * (Kubernetes) or from the environment (compose), never be written in a manifest.
 */
export const SECRET_VARIABLE = /(SECRET|PASSWORD|PRIVATE_KEY|TOKEN|DATABASE_URL|REDIS_URL)$/;
