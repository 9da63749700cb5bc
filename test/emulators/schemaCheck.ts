// Response-schema checking shared by the emulators. Each emulator checks every response it sends against schemas
// written from the provider's published API reference (never from the emulator's own code). A response that does not
// conform is not sent: the client gets the emulator's error "emulator response violates schema ..." instead, so the
// test that caused it fails loudly, and the violation is kept for the strictness tests. On by default: the emulators
// exist only for tests.
import type { z } from 'zod';

export const SCHEMA_VIOLATION = 'emulator response violates schema';

export interface SchemaViolation {
  operation: string;
  problems: string[];
}

export interface ResponseChecks {
  /** False when the emulator was started with checkResponses: false. */
  readonly enabled: boolean;
  /** How many responses were checked, per operation name (the provider's own name, e.g. "Encrypt", "transit/encrypt"). */
  readonly checked: ReadonlyMap<string, number>;
  readonly violations: readonly SchemaViolation[];
  /** Changes the next successful response (of `operation`, if given) before it is checked, to prove the check can fail. */
  corruptNextResponse(mutate: (body: Record<string, unknown>) => void, operation?: string): void;
  reset(): void;
}

export interface ResponseChecker extends ResponseChecks {
  /** Applies a pending corruption to `body` (a successful response of `operation`) and clears it. */
  takeCorruption(operation: string, body: unknown): void;
  /** Records one check; returns the violation message to answer with, or null when the response conforms. */
  record(operation: string, problems: string[]): string | null;
}

export function createResponseChecker(enabled = true): ResponseChecker {
  const checked = new Map<string, number>();
  const violations: SchemaViolation[] = [];
  let corruption: { mutate: (body: Record<string, unknown>) => void; operation: string | undefined } | null = null;
  return {
    enabled,
    checked,
    violations,
    corruptNextResponse(mutate, operation) {
      corruption = { mutate, operation };
    },
    takeCorruption(operation, body) {
      if (!corruption || typeof body !== 'object' || body === null) return;
      if (corruption.operation !== undefined && corruption.operation !== operation) return;
      const { mutate } = corruption;
      corruption = null;
      mutate(body as Record<string, unknown>);
    },
    record(operation, problems) {
      if (!enabled) return null;
      checked.set(operation, (checked.get(operation) ?? 0) + 1);
      if (problems.length === 0) return null;
      violations.push({ operation, problems });
      return `${SCHEMA_VIOLATION} (${operation}): ${problems.join('; ')}`;
    },
    reset() {
      checked.clear();
      violations.length = 0;
      corruption = null;
    },
  };
}

/** The problems zod found, as "path: message" lines. */
export function zodProblems(result: z.ZodSafeParseResult<unknown>): string[] {
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`);
}
