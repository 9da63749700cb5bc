// Errors for people (issue 12): turns the main process's typed errors ({code, message, details}, docs/ipc-contract.md)
// into words a form can show. The router's refusal of a bad input reads "Invalid input for keys:create: label: must
// not be empty; algorithm: Invalid option: …" — a channel name and schema paths that mean nothing to an officer. Here
// each issue becomes a sentence about the field it names; issues about a field the form shows go next to that field
// (FormField errorText), the others into the summary. "Check the highlighted values" is said only when a field is
// actually highlighted. Nothing here invents a refusal: it only rewords what the main process said.
import type { z } from 'zod';
import { ERROR_CODES, ERROR_HINTS, type ErrorCode, type ErrorInfo } from '../../../shared/errors.ts';

/** The main process's error as the window holds it (api.ts ApiError: an Error with code and details). */
function typedError(e: unknown): (ErrorInfo & Error) | null {
  if (!(e instanceof Error)) return null;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code) ? (e as ErrorInfo & Error) : null;
}

export interface ErrorWords {
  /** The refusal in words, for the form's errorText / an Alert (empty when every issue sits next to its field). */
  summary: string;
  /** What to do next; "" when there is nothing useful to add. */
  hint: string;
  /** Field key (as the form names it in `fieldLabels`) → the error shown next to that field. */
  fields: Readonly<Record<string, string>>;
  /** The stable code (invalid_input, key_disabled, …); null for an error that did not come from the main process. */
  code: ErrorCode | null;
}

/** What a form shows: its field keys (the schema's last path segment or details.field) and their labels. */
export type FieldLabels = Readonly<Record<string, string>>;

const CHANNEL_PREFIX = /^Invalid input for [A-Za-z]+:[A-Za-z]+:\s*/;
/** A channel name anywhere in a text ("keys:create", "session:init"): never shown. */
const CHANNEL_NAME = /\b(?:session|keys|providers|audit|fleet|ca|certs|station|jobs|bundles|alerts|approvals|backup|emergency|kit|metrics|operators|recovery|report|rollout|rotation):[A-Za-z]+\b/g;
const MORE = /\s*\(and (\d+) more\)\s*$/;

export const HIGHLIGHTED_HINT = 'Check the highlighted values and try again.';
export const NAMED_HINT = 'Correct the values named above and try again.';

/** zod's default messages, reworded (the console's own messages, like "must not be empty", pass unchanged). */
const ZOD_REWORDS: ReadonlyArray<[RegExp, (m: RegExpMatchArray) => string]> = [
  [/^Too small: expected string to have >=?(\d+) characters?$/, (m) => (m[1] === '1' ? 'must not be empty' : `must be at least ${m[1]} characters`)],
  [/^Too big: expected string to have <=?(\d+) characters?$/, (m) => `must be at most ${m[1]} characters`],
  [/^Too small: expected number to be >=?(-?[\d.]+)$/, (m) => `must be at least ${m[1]}`],
  [/^Too big: expected number to be <=?(-?[\d.]+)$/, (m) => `must be at most ${m[1]}`],
  [/^Too small: expected array to have >=?(\d+) items?$/, (m) => `needs at least ${m[1]} item${m[1] === '1' ? '' : 's'}`],
  [/^Too big: expected array to have <=?(\d+) items?$/, (m) => `allows at most ${m[1]} item${m[1] === '1' ? '' : 's'}`],
  [/^Invalid option: expected one of .*$/, () => 'is not one of the allowed choices'],
  [/^Invalid input: expected (?:int|number), received .*$/, () => 'must be a number'],
  [/^Invalid input: expected boolean, received .*$/, () => 'must be yes or no'],
  [/^Invalid input: expected (\w+), received undefined$/, () => 'is required'],
  [/^Invalid input: expected .*$/, () => 'has the wrong kind of value'],
  [/^Invalid (?:ISO )?datetime$/i, () => 'must be a date and time'],
  [/^Invalid string: must match pattern .*$/, () => 'is not in the expected format'],
  [/^Invalid input$/, () => 'is not valid'],
  [/^([a-z][^:]*) only$/, (m) => `may contain only ${m[1]}`],
];

function reword(rule: string): string {
  const text = rule.trim();
  for (const [re, to] of ZOD_REWORDS) {
    const m = text.match(re);
    if (m) return to(m);
  }
  return text;
}

/** "vault_url" → "vault url", "keyIds" → "key ids", "(input)" → "the request". */
export function humanName(segment: string): string {
  if (segment === '(input)' || segment === '') return 'the request';
  return segment
    .replace(/\[\d+\]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
}

const sentence = (text: string): string => {
  const t = text.trim();
  if (t === '') return t;
  // A setting's own name (vault_url, pkcs11_module) keeps its case: it is what the officer types in the configuration.
  const firstWord = t.split(/\s/, 1)[0] ?? '';
  const first = /[_\d]/.test(firstWord) ? t : t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
};

/** Removes channel names and the router's "Invalid input for <channel>:" from any text shown. */
export function withoutInternals(text: string): string {
  return text.replace(CHANNEL_PREFIX, '').replace(CHANNEL_NAME, 'the request').trim();
}

interface Issue {
  path: string;
  rule: string;
}

/** "label: must not be empty; config.vault_url: must be a URL (and 2 more)" → issues; null when not that shape. */
function routerIssues(message: string): { issues: Issue[]; more: number } | null {
  if (!CHANNEL_PREFIX.test(message)) return null;
  let body = message.replace(CHANNEL_PREFIX, '');
  const more = body.match(MORE);
  if (more) body = body.replace(MORE, '');
  const issues: Issue[] = [];
  for (const part of body.split('; ')) {
    const at = part.indexOf(': ');
    if (at <= 0) issues.push({ path: '(input)', rule: part });
    else issues.push({ path: part.slice(0, at), rule: part.slice(at + 2) });
  }
  return { issues, more: more ? Number(more[1]) : 0 };
}

/** The form's key for a schema path: the whole path if the form names it, else its last segment if named, else null. */
function fieldKeyOf(path: string, labels: FieldLabels): string | null {
  if (Object.hasOwn(labels, path)) return path;
  const last = lastName(path);
  return Object.hasOwn(labels, last) ? last : null;
}

/** The last named segment of a path ("keyIds.0" → "keyIds"): array indexes say nothing to an officer. */
function lastName(path: string): string {
  const named = path.split('.').filter((s) => !/^\d+$/.test(s));
  return named.at(-1) ?? path;
}

/**
 * The error in words: the one wording rule of every screen (issue 12). A field's refusal is its label and the rule,
 * reworded ("Label must be at most 128 characters."); the code's hint (shared/errors.ts ERROR_HINTS) says what to do.
 * `fieldLabels` names the form's fields (key → label). When the form shows those fields (`fieldsShown`, the default),
 * issues about them go to `fields` (several at once), each shown under its label as the rule alone; the rest go to
 * `summary`, named by their label or a readable name, never by a path. A form that cannot highlight its fields (a
 * filter bar) passes `fieldsShown: false`: every issue is then said in the summary with the field's label.
 */
export function errorInWords(input: unknown, fieldLabels: FieldLabels = {}, fieldsShown = true): ErrorWords {
  if (!input) return { summary: '', hint: '', fields: {}, code: null };
  const error = typedError(input);
  if (error === null) {
    const text = input instanceof Error ? input.message : String(input);
    return { summary: sentence(withoutInternals(text)), hint: '', fields: {}, code: null };
  }
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  const parsed = routerIssues(error.message);
  if (parsed) {
    for (const issue of parsed.issues) {
      const key = fieldKeyOf(issue.path, fieldLabels);
      const rule = reword(withoutInternals(issue.rule));
      if (key !== null && fieldsShown) {
        fields[key] = fields[key] ? `${fields[key]} ${sentence(rule)}` : sentence(rule);
      } else {
        rest.push(sentence(`${key !== null ? fieldLabels[key] : humanName(lastName(issue.path))} ${rule}`));
      }
    }
    if (parsed.more > 0) rest.push(`${parsed.more} more value${parsed.more === 1 ? ' was' : 's were'} refused too.`);
  } else {
    const message = sentence(withoutInternals(error.message));
    const field = error.details?.field;
    const key = typeof field === 'string' && fieldsShown ? fieldKeyOf(field, fieldLabels) : null;
    if (key !== null) fields[key] = message;
    else rest.push(message);
  }
  const highlighted = Object.keys(fields).length > 0;
  // A highlighted field says what is wrong with it; the hint then points there, whatever the code (a token's refused
  // PIN is wrong_second_factor, whose own hint is about authenticator apps).
  let hint = ERROR_HINTS[error.code] ?? '';
  if (highlighted) hint = HIGHLIGHTED_HINT;
  else if (error.code === 'invalid_input') hint = NAMED_HINT;
  let summary = rest.join(' ');
  if (summary === '' && highlighted) summary = refusedCount(Object.keys(fields).length);
  return { summary, hint, fields, code: error.code };
}

/** "One value was refused." / "3 values were refused." */
function refusedCount(n: number): string {
  return `${n === 1 ? 'One value was' : `${n} values were`} refused.`;
}

/**
 * A rule as a form says it under its field, worded like the main process's refusals: zod's message reworded, as a
 * sentence ("Too small: expected string to have >=1 characters" -> "Must not be empty."). The field's label is the
 * FormField's, above it.
 */
export function ruleInWords(rule: string): string {
  return sentence(reword(withoutInternals(rule)));
}

/**
 * `schema`'s (the contract's own) refusal of one field's value, as its rules in words, the way the main process's
 * refusal of that value reads next to the field (every rule it breaks, up to the router's three); null when valid.
 */
export function schemaRuleInWords(schema: z.ZodType, value: unknown): string | null {
  const parsed = schema.safeParse(value);
  if (parsed.success) return null;
  const rules = parsed.error.issues.slice(0, 3).map((i) => ruleInWords(i.message));
  return rules.length > 0 ? rules.join(' ') : ruleInWords('Invalid input');
}

/**
 * A form's own checks before it sends, said exactly as a refusal by the main process would be (the one rule above):
 * each refused field's rule goes next to it (several at once), the summary counts them and the hint points at the
 * highlighted fields. `checked` maps the form's field keys to their rule in words, null or absent when the value is
 * fine. Nothing refused: empty words (no summary, no hint).
 */
export function checkedInWords(checked: Readonly<Record<string, string | null | undefined>>): ErrorWords {
  const fields: Record<string, string> = {};
  for (const [key, rule] of Object.entries(checked)) if (rule) fields[key] = rule;
  const n = Object.keys(fields).length;
  if (n === 0) return { summary: '', hint: '', fields, code: null };
  return { summary: refusedCount(n), hint: HIGHLIGHTED_HINT, fields, code: 'invalid_input' };
}
