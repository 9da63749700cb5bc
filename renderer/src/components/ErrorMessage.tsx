import Alert from '@cloudscape-design/components/alert';
import { isApiError } from '../api.ts';
import { errorInWords, type FieldLabels } from './errorWords.ts';

/**
 * An error in words (components/errorWords.ts) as a Cloudscape Alert: never a channel name or a schema path. A form
 * that shows field errors next to its fields passes their labels in `fieldLabels`; this then shows only what no field
 * carries, and says "Check the highlighted values" only when a field is highlighted. The wrapper is the `alert` (with
 * the code in `data-code` for tests).
 */
export function ErrorMessage({ error, fieldLabels, header, children }: { error: unknown; fieldLabels?: FieldLabels; header?: string; children?: React.ReactNode }) {
  if (!error) return null;
  const words = errorInWords(error, fieldLabels);
  return (
    <div role="alert" data-code={isApiError(error) ? error.code : undefined}>
      <Alert type="error" header={header} statusIconAriaLabel="Error">
        {words.summary}
        {words.hint && <div>{words.hint}</div>}
        {children}
      </Alert>
    </div>
  );
}
