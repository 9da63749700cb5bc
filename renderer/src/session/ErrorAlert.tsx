// An error as a Cloudscape Alert, in words (components/errorWords.ts errorForScreen): the message, then what to do next.
import Alert from '@cloudscape-design/components/alert';
import { errorForScreen } from '../components/errorWords.ts';

export function ErrorAlert({ error, header, fieldWords }: { error: unknown; header?: string; fieldWords?: Readonly<Record<string, string>> }) {
  const words = errorForScreen(error, fieldWords);
  if (!words) return null;
  return (
    <div role="alert" data-code={words.code ?? undefined}>
      <Alert type="error" header={header}>
        {words.message}
        {words.hint && <div>{words.hint}</div>}
      </Alert>
    </div>
  );
}
