// "Create fleet CA": the provider that will hold the CA signing key and its algorithm. The key is created in the
// provider; the console keeps only its reference and the CA certificate. Refusals go next to their field, in words.
import { useState } from 'react';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Select from '@cloudscape-design/components/select';
import Input from '@cloudscape-design/components/input';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { CA_ALGORITHMS } from '../../../shared/stationContract.ts';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { errorInWords } from '../components/errorWords.ts';
import { formErrorText } from '../components/FormErrorText.tsx';

export type Algorithm = (typeof CA_ALGORITHMS)[number];
const ALGORITHM_LABELS: Readonly<Record<Algorithm, string>> = { EC_P256: 'ECDSA P-256', RSA_2048: 'RSA 2048' };

export function CreateCaForm() {
  const providers = useChannelQuery('providers:list', {});
  const queryClient = useQueryClient();
  const [providerId, setProviderId] = useState('local');
  const [algorithm, setAlgorithm] = useState<Algorithm>('EC_P256');
  const [commonName, setCommonName] = useState('ECPS-UV Fleet CA');
  const init = useChannelMutation('ca:init', () => void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'ca:status' || q.queryKey[0] === 'certs:list' }));
  const words = errorInWords(init.error, { providerId: 'Provider holding the CA signing key', algorithm: 'Algorithm', commonName: 'Common name' });
  const providerOptions = (providers.data?.providers ?? [{ id: 'local', kind: 'local' }]).map((p) => ({ value: p.id, label: `${p.id} (${p.kind})` }));
  return (
    <form
      aria-label="Create fleet CA"
      onSubmit={(e) => {
        e.preventDefault();
        init.mutate({ providerId, algorithm, commonName });
      }}
    >
      <Container header={<Header variant="h2">Create fleet CA</Header>}>
        <Form
          errorText={formErrorText(words)}
          errorIconAriaLabel="Error"
          actions={
            <Button variant="primary" formAction="submit" loading={init.isPending} loadingText="Creating the fleet CA">
              Create fleet CA
            </Button>
          }
        >
          <SpaceBetween size="m">
            <FormField label="Provider holding the CA signing key" errorText={words.fields.providerId}>
              <Select selectedOption={providerOptions.find((o) => o.value === providerId) ?? null} onChange={(e) => setProviderId(e.detail.selectedOption.value ?? 'local')} options={providerOptions} invalid={!!words.fields.providerId} />
            </FormField>
            <CaKeyFields algorithm={algorithm} onAlgorithm={setAlgorithm} commonName={commonName} onCommonName={setCommonName} nameLabel="Common name" fields={words.fields} />
          </SpaceBetween>
        </Form>
      </Container>
    </form>
  );
}

/** A new CA's algorithm and common name (creating the first CA, replacing it), with refusals beside their field. */
export function CaKeyFields(p: {
  algorithm: Algorithm;
  onAlgorithm(a: Algorithm): void;
  commonName: string;
  onCommonName(name: string): void;
  nameLabel: string;
  fields: Partial<Record<string, string>>;
}) {
  const algorithmOptions = CA_ALGORITHMS.map((a) => ({ value: a, label: ALGORITHM_LABELS[a] }));
  return (
    <>
      <FormField label="Algorithm" errorText={p.fields.algorithm}>
        <Select selectedOption={algorithmOptions.find((o) => o.value === p.algorithm) ?? null} onChange={(e) => p.onAlgorithm(e.detail.selectedOption.value as Algorithm)} options={algorithmOptions} />
      </FormField>
      <FormField label={p.nameLabel} errorText={p.fields.commonName} constraintText="Up to 64 characters.">
        <Input value={p.commonName} onChange={(e) => p.onCommonName(e.detail.value)} invalid={!!p.fields.commonName} nativeInputAttributes={{ maxLength: 64 }} />
      </FormField>
    </>
  );
}
