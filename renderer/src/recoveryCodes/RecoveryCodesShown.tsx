// The recovery codes made at a factor's enrolment or on request (docs/operators.md "Recovery codes"), shown this once:
// the main process keeps only their hashes, so the window offers to copy them or save them as a text file, and forgets
// them when the dialog closes. Each code opens the console once instead of the authenticator or the token.
import Alert from '@cloudscape-design/components/alert';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { CopyButton } from '../components/CopyButton.tsx';
import { downloadText } from '../download.ts';

export function RecoveryCodesShown({ codes, operator }: { codes: readonly string[]; operator: string | null }) {
  const text = `${codes.join('\n')}\n`;
  const fileName = `ecps-recovery-codes${operator ? `-${operator.replace(/[^A-Za-z0-9._-]/g, '_')}` : ''}.txt`;
  return (
    <SpaceBetween size="s">
      <Alert type="warning" header="Recovery codes: shown only now">
        If you lose your authenticator or token, each of these codes unlocks the console once instead of it ("Use a recovery
        code" on the unlock form). Keep them offline, e.g. printed. The console stores only their hashes and cannot show them
        again; making new codes makes these stop working.
      </Alert>
      <ol aria-label="Recovery codes" data-testid="recovery-codes" className="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <SpaceBetween direction="horizontal" size="xs">
        <CopyButton text={text} label="Copy codes" />
        <Button iconName="download" onClick={() => downloadText(fileName, text, 'text/plain')}>
          Download codes
        </Button>
      </SpaceBetween>
    </SpaceBetween>
  );
}
