import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Alert from '@cloudscape-design/components/alert';
import type { KeySummary } from '../../../shared/contract.ts';
import { canProtect } from '../../../shared/domain.ts';
import { EncryptPane } from './EncryptPane.tsx';
import { DecryptPane } from './DecryptPane.tsx';
import { useMayCall } from '../session/permissions.ts';

/** Encrypt with the selected key; decrypt any ciphertext (its header names the key and version). Nothing for a role that may not. */
export function CryptoTester({ keySummary }: { keySummary: KeySummary }) {
  // keys:encrypt and keys:decrypt are the key custodian's: no tester for the other roles.
  const mayUse = useMayCall('keys:encrypt');
  if (!mayUse) return null;
  return (
    <Container header={<Header variant="h2">Encrypt / decrypt tester</Header>}>
      <SpaceBetween size="m">
        {!canProtect(keySummary.state) && <Alert type="warning">This key is not active: encrypting with it is refused. Decrypting may still work.</Alert>}
        <ColumnLayout columns={2} variant="text-grid">
          <EncryptPane keySummary={keySummary} />
          <DecryptPane />
        </ColumnLayout>
      </SpaceBetween>
    </Container>
  );
}
