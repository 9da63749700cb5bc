import { isApiError } from '../api.ts';

/** An error in words: the main process's message plus what to do next for its code. */
export function ErrorMessage({ error, children }: { error: unknown; children?: React.ReactNode }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const hint = isApiError(error) ? error.hint : null;
  return (
    <div className="error" role="alert" data-code={isApiError(error) ? error.code : undefined}>
      <strong>{message}</strong>
      {hint && <div className="hint">{hint}</div>}
      {children}
    </div>
  );
}
