// The connection settings of one provider kind: the plain fields, plus the GCP service-account choice and the
// PKCS#11 slot picker where those kinds need them.
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { PROVIDER_KIND_LABELS, type ProviderKind } from '../../../shared/domain.ts';
import type { ProviderField } from './providerFields.ts';
import type { FormValues, GcpCredentialSource } from './providerConfig.ts';
import { ProviderFieldInput } from './ProviderField.tsx';
import { ServiceAccountFields } from './ServiceAccountFields.tsx';
import { Pkcs11SlotPicker } from './Pkcs11SlotPicker.tsx';

interface Props {
  kind: ProviderKind;
  fields: readonly ProviderField[];
  values: FormValues;
  set(name: string, value: string | boolean): void;
  /** Secrets the main process holds for the provider being edited. */
  secrets: ReadonlySet<string>;
  errorFor(name: string): string | null;
  gcpSource: GcpCredentialSource;
  setGcpSource(source: GcpCredentialSource): void;
}

const GCP_CREDENTIALS = new Set(['gcp_credentials_json', 'credentials_path']);
const text = (v: string | boolean | undefined) => (typeof v === 'string' ? v : '');

export function KindFieldset({ kind, fields, values, set, secrets, errorFor, gcpSource, setGcpSource }: Props) {
  const byName = (name: string) => fields.find((f) => f.name === name);
  const plain = (f: ProviderField) => (
    <ProviderFieldInput key={f.name} field={f} value={values[f.name] ?? ''} onChange={(v) => set(f.name, v)} secretStored={secrets.has(f.name)} error={errorFor(f.name)} />
  );

  const fileField = byName('gcp_credentials_json');
  const pathField = byName('credentials_path');
  return (
    <Container header={<Header variant="h3">{`${PROVIDER_KIND_LABELS[kind]} connection`}</Header>}>
      <SpaceBetween size="m">
        {fields.map((f) => {
          if (GCP_CREDENTIALS.has(f.name)) return null;
          if (f.name === 'pkcs11_module') {
            return (
              <SpaceBetween key={f.name} size="xs">
                {plain(f)}
                <Pkcs11SlotPicker modulePath={text(values.pkcs11_module)} tokenLabel={text(values.pkcs11_token_label)} onPick={(label) => set('pkcs11_token_label', label)} />
              </SpaceBetween>
            );
          }
          return plain(f);
        })}
        {kind === 'google_cloud_kms' && fileField && pathField && (
          <ServiceAccountFields
            fileField={fileField}
            pathField={pathField}
            source={gcpSource}
            onSource={setGcpSource}
            content={text(values.gcp_credentials_json)}
            onContent={(c) => set('gcp_credentials_json', c)}
            path={text(values.credentials_path)}
            onPath={(p) => set('credentials_path', p)}
            fileStored={secrets.has('gcp_credentials_json')}
            errorFor={errorFor}
          />
        )}
      </SpaceBetween>
    </Container>
  );
}
