// The kit's sign-in page: the responder's own passphrase opens the kit (its manifest, sealed data and audit chain are
// checked; a wrong passphrase, another operator or a tampered kit is refused with the kit check named).
import { useState } from 'react';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Alert from '@cloudscape-design/components/alert';
import type { KitModeStatus } from '../../../shared/kitOfflineContract.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useKitMutation } from './kitApi.ts';
import { formatWhen } from './kitWords.ts';

export function KitSignIn({ status }: { status: KitModeStatus }) {
  const m = status.manifest;
  const [operator, setOperator] = useState(m?.responder ?? '');
  const [passphrase, setPassphrase] = useState('');
  const signIn = useKitMutation('kitOffline:signIn');
  if (!m) {
    return (
      <div className="center-card">
        <div role="alert" data-code={status.problem?.code} data-kit-error={status.problem?.kitError ?? undefined}>
          <Alert type="error" header="This incident kit cannot be opened">{status.problem?.message}</Alert>
        </div>
      </div>
    );
  }
  const submit = () => {
    if (operator.trim() === '' || passphrase === '') return;
    signIn.mutate({ operator, passphrase }, { onSettled: () => setPassphrase('') });
  };
  return (
    <div className="center-card">
      <form onSubmit={(e) => { e.preventDefault(); submit(); }}>
        <Form actions={<Button variant="primary" formAction="submit" loading={signIn.isPending}>Open the kit</Button>}>
          <Container header={<Header variant="h1" description={`Exported ${formatWhen(m.exportedAt)} by ${m.exportedBy}; ${m.robots} robot(s), ${m.orders.length} pre-authorised order(s), valid until ${formatWhen(m.expiresAt)}.`}>Incident kit: sign in</Header>}>
            <SpaceBetween size="m">
              <FormField label="Responder" description="The kit opens only for the operator it was exported for.">
                <Input value={operator} onChange={(e) => setOperator(e.detail.value)} ariaLabel="Responder" />
              </FormField>
              <FormField label="Passphrase" description="Your own operator passphrase.">
                <Input type="password" value={passphrase} onChange={(e) => setPassphrase(e.detail.value)} ariaLabel="Passphrase" autoFocus />
              </FormField>
              <ErrorMessage error={signIn.error} />
            </SpaceBetween>
          </Container>
        </Form>
      </form>
    </div>
  );
}
