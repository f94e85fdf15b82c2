/** One part of a multipart answer, parsed, with when it arrived (performance.now()). */
export interface ReceivedPart<Part = Record<string, unknown>> {
  part: Part;
  at: number;
}

const DELIMITER = '\r\n--graphql';

/**
 * The JSON parts of a `multipart/mixed;boundary="graphql"` answer (@defer's
 * deferSpec=20220824, as Apollo Router writes it), each as soon as it
 * arrives, until the closing delimiter.
 */
export async function* multipartParts<Part = Record<string, unknown>>(
  response: Response,
): AsyncGenerator<ReceivedPart<Part>> {
  if (!response.body) throw new Error('the answer has no body');
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body) {
    buffered += decoder.decode(chunk, { stream: true });
    for (;;) {
      const start = buffered.indexOf(DELIMITER);
      if (start < 0) break;
      const rest = buffered.slice(start + DELIMITER.length);
      if (rest.startsWith('--')) return;
      const end = rest.indexOf(DELIMITER);
      if (end < 0) break;
      const body = rest.slice(0, end);
      const json = body.slice(body.indexOf('\r\n\r\n') + 4);
      yield { part: JSON.parse(json) as Part, at: performance.now() };
      buffered = rest.slice(end);
    }
  }
}

/** Merges deferSpec parts as a client does: the first part's data, then each incremental result at its path. */
export function mergeParts(parts: readonly Record<string, unknown>[]): {
  data: Record<string, unknown>;
  errors: unknown[];
} {
  const [first, ...rest] = parts;
  const data = structuredClone((first?.data ?? {}) as Record<string, unknown>);
  const errors = [...((first?.errors as unknown[] | undefined) ?? [])];
  for (const part of rest) {
    errors.push(...((part.errors as unknown[] | undefined) ?? []));
    for (const item of (part.incremental ?? []) as {
      data: Record<string, unknown> | null;
      path: (string | number)[];
      errors?: unknown[];
    }[]) {
      errors.push(...(item.errors ?? []));
      let target: Record<string | number, unknown> = data;
      for (const key of item.path) target = target[key] as Record<string | number, unknown>;
      Object.assign(target, item.data ?? {});
    }
  }
  return { data, errors };
}
