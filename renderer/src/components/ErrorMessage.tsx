import Alert from '@cloudscape-design/components/alert';
import { errorInWords, type FieldLabels } from './errorWords.ts';

/**
 * The one way a screen shows an error (issue 12): in words (components/errorWords.ts errorInWords), as a Cloudscape
 * Alert, never a channel name or a schema path. A form that shows field errors next to its fields passes their labels
 * in `fieldLabels`; this then shows only what no field carries, and says "Check the highlighted values" only when a
 * field is highlighted. A form that cannot highlight its fields (a filter bar) also passes `fieldsShown={false}`: the
 * fields are then named by their labels here. Too many attempts is a warning (a wait), not an error. The wrapper is the
 * `alert` (with the code in `data-code` for tests).
 */
export function ErrorMessage({ error, fieldLabels, fieldsShown = true, header, children }: {
  error: unknown;
  fieldLabels?: FieldLabels;
  fieldsShown?: boolean;
  header?: string;
  children?: React.ReactNode;
}) {
  if (!error) return null;
  const words = errorInWords(error, fieldLabels, fieldsShown);
  if (!words.summary && !words.hint && !children) return null;
  return (
    <div role="alert" data-code={words.code ?? undefined}>
      <Alert type={words.code === 'too_many_attempts' ? 'warning' : 'error'} header={header} statusIconAriaLabel={words.code === 'too_many_attempts' ? 'Warning' : 'Error'}>
        {words.summary}
        {words.hint && <div>{words.hint}</div>}
        {children}
      </Alert>
    </div>
  );
}
