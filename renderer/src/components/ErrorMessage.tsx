import { isApiError } from '../api.ts';
import { errorInWords, type FieldLabels } from './errorWords.ts';

/**
 * An error in words (components/errorWords.ts): never a channel name or a schema path. A form that shows field errors
 * next to its fields passes their labels in `fieldLabels`; this then shows only what no field carries, and says
 * "Check the highlighted values" only when a field is highlighted.
 */
export function ErrorMessage({ error, fieldLabels, children }: { error: unknown; fieldLabels?: FieldLabels; children?: React.ReactNode }) {
  if (!error) return null;
  const words = errorInWords(error, fieldLabels);
  return (
    <div className="error" role="alert" data-code={isApiError(error) ? error.code : undefined}>
      {words.summary && <strong>{words.summary}</strong>}
      {words.hint && <div className="hint">{words.hint}</div>}
      {children}
    </div>
  );
}
