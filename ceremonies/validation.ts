import type { z } from 'zod';

/** A bad input, with one line per problem, each naming the offending field. */
export class ValidationError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ValidationError';
  }
}

export function fieldPath(path: ReadonlyArray<PropertyKey>, root = '(root)'): string {
  if (path.length === 0) return root;
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** One line per problem, each naming its field (`root` names the value itself). */
export function describeIssues(error: z.ZodError, root?: string): string[] {
  return error.issues.map((issue) => `${fieldPath(issue.path, root)}: ${issue.message}`);
}

/** Parse `value` with `schema`, or throw a ValidationError naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(source, describeIssues(result.error));
  return result.data;
}
