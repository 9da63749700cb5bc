import type { ErrorWords } from './errorWords.ts';

/**
 * A form's refusal for Cloudscape `Form errorText` (or an Alert): the summary and the hint, with the code in
 * `data-code` for tests. Undefined when there is nothing to say, so the form shows no error box.
 */
export function formErrorText(words: ErrorWords): React.ReactNode {
  if (!words.summary && !words.hint) return undefined;
  return (
    <span role="alert" data-code={words.code ?? undefined}>
      {words.summary}
      {words.hint && ` ${words.hint}`}
    </span>
  );
}
