// Field errors in words for the fleet forms: every problem of a form at once, keyed by the form's own field, from the
// same zod schema the main process enforces (shared/fleetContract.ts) — never a schema path, never a channel name.
import type { z } from 'zod';

export type FieldErrors<F extends string> = Partial<Record<F, string>>;

function words(issue: z.core.$ZodIssue): string {
  if (issue.code === 'too_big') return issue.origin === 'array' ? `at most ${String(issue.maximum)} are allowed` : `must be at most ${String(issue.maximum)} characters`;
  if (issue.code === 'too_small') return 'must not be empty';
  if (issue.code === 'invalid_type') return 'is missing';
  return issue.message;
}

/** Runs `schema` on `value`; each issue goes to the field its first path segment names (the first issue per field). */
export function fieldErrorsOf<F extends string>(schema: z.ZodType, value: unknown, fields: readonly F[]): { errors: FieldErrors<F>; other: string[] } {
  const parsed = schema.safeParse(value);
  const errors: FieldErrors<F> = {};
  const other: string[] = [];
  if (parsed.success) return { errors, other };
  for (const issue of parsed.error.issues) {
    const field = issue.path[0];
    if (typeof field === 'string' && (fields as readonly string[]).includes(field)) {
      const f = field as F;
      if (errors[f]) continue;
      // A tag is named by its position in the list as typed ("tag 2"), which is what the officer sees.
      const which = f === 'tags' && typeof issue.path[1] === 'number' ? `tag ${issue.path[1] + 1}: ` : '';
      errors[f] = `${which}${words(issue)}`;
    } else {
      other.push(words(issue));
    }
  }
  return { errors, other };
}
