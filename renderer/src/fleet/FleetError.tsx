// An error from the main process in words, on the design system: its message and, for its code, what to do next
// (ERROR_HINTS via ApiError.hint). Never a channel name or schema path: the fleet forms check their fields first.
import Alert from '@cloudscape-design/components/alert';
import { isApiError } from '../api.ts';

export function FleetError({ error, header }: { error: unknown; header?: string }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const hint = isApiError(error) ? error.hint : null;
  return (
    <Alert type="error" header={header}>
      <span role="alert" data-code={isApiError(error) ? error.code : undefined}>
        {message}
        {hint ? ` ${hint}` : ''}
      </span>
    </Alert>
  );
}
