// Errors in words for the screens of this folder and the Audit and Station screens (issue 12): never a channel name
// or a schema path. The main process's invalid_input message names its channel and the field's path (it is written
// for logs and the CLI); here it becomes a sentence chosen by the screen for the field the error names
// (details.field), shown next to that field. Other codes keep the main process's message, which is already in words,
// plus the hint for the code. (A small helper kept in this folder: renderer/src/components/ belongs to another port.)
import { ERROR_CODES, ERROR_HINTS, type ErrorInfo } from '../../../shared/errors.ts';

/** A typed error of the console (the window's ApiError, or the main process's ConsoleError: both carry {code, details}). */
function isCodedError(e: unknown): e is Error & Pick<ErrorInfo, 'code' | 'details'> {
  return e instanceof Error && (ERROR_CODES as readonly unknown[]).includes((e as { code?: unknown }).code);
}

export interface ErrorWords {
  /** What went wrong, in words. */
  message: string;
  /** What to do next, or null. */
  hint: string | null;
  /** The screen's field the error belongs to (a key of the words given), or null when it names no field of the form. */
  field: string | null;
  code: string | null;
}

/** Anything that looks like a channel name ("session:init") or a router prefix: never shown. */
const INTERNAL = /Invalid input for [a-z]+:[A-Za-z]+:?|\b[a-z]+:[a-z][A-Za-z]+\b/g;

/**
 * @param fieldWords the sentence to show for each field the main process may name (its contract field name), e.g.
 *   `{ operator: 'The operator name may hold letters, digits, spaces and . _ @ - only.' }`.
 */
export function errorInWords(error: unknown, fieldWords: Readonly<Record<string, string>> = {}): ErrorWords | null {
  if (!error) return null;
  if (!isCodedError(error)) {
    const text = error instanceof Error ? error.message : String(error);
    return { message: text.replace(INTERNAL, '').trim() || 'Something went wrong.', hint: null, field: null, code: null };
  }
  const path = typeof error.details?.field === 'string' ? error.details.field : null;
  // "paths.0" (an element of a list field) belongs to the form's field "paths".
  const named = path !== null && fieldWords[path] === undefined ? path.split('.')[0]! : path;
  if (error.code === 'invalid_input') {
    const words = named !== null ? fieldWords[named] : undefined;
    if (words !== undefined) return { message: words, hint: null, field: named, code: error.code };
    // A message the main process wrote for people (no router prefix) is kept; a schema message is not.
    const own = !/^Invalid input for /.test(error.message);
    return {
      message: own ? error.message.replace(INTERNAL, '').trim() : 'The console refused one of the values.',
      hint: 'Check the values and try again.',
      field: null,
      code: error.code,
    };
  }
  return { message: error.message.replace(INTERNAL, '').trim(), hint: ERROR_HINTS[error.code] || null, field: named, code: error.code };
}
