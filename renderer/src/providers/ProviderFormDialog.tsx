import { useState } from 'react';
import Modal from '@cloudscape-design/components/modal';
import FormField from '@cloudscape-design/components/form-field';
import Select from '@cloudscape-design/components/select';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { ProviderStatus } from '../../../shared/contract.ts';
import { PROVIDER_KIND_LABELS, type ProviderKind } from '../../../shared/domain.ts';
import { errorInWords } from '../components/errorWords.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { formErrorText } from '../components/FormErrorText.tsx';
import { ADDABLE_KINDS, fieldsFor } from './providerFields.ts';
import { buildConfig, emptyValues, initialGcpSource, storedSecrets, valuesFromStatus, withCredentialChoice, type FormValues, type GcpCredentialSource } from './providerConfig.ts';
import { ProviderFieldInput } from './ProviderField.tsx';
import { KindFieldset } from './KindFieldset.tsx';
import { SubmitForm } from '../components/SubmitForm.tsx';


/** Add a provider (kind select, fields per kind) or edit one (kind and id fixed, secrets never shown back). */
export function ProviderFormDialog({ editing, existingIds = [] }: { editing?: ProviderStatus; existingIds?: readonly string[] }) {
  const close = useUiStore((s) => s.openProviderDialog);
  const selectProvider = useUiStore((s) => s.selectProvider);
  const [kind, setKind] = useState<ProviderKind>(editing?.kind ?? ADDABLE_KINDS[0]!);
  const [values, setValues] = useState<FormValues>(() => (editing ? valuesFromStatus(editing) : emptyValues(kind)));
  const [gcpSource, setGcpSource] = useState<GcpCredentialSource>(() => initialGcpSource(editing));
  const save = useChannelMutation('providers:save', (status) => {
    selectProvider(status.id);
    close(null);
  });
  const secrets = storedSecrets(editing);
  const fields = fieldsFor(kind);
  // Saving an id that exists replaces that provider: adding must not do so by accident.
  const [idTaken, setIdTaken] = useState<string | null>(null);
  // Refusals in words (components/errorWords.ts): each next to the field it names, several at once.
  const fieldLabels = Object.fromEntries([fields.id, ...fields.specific, ...fields.common].map((f) => [f.name, f.label]));
  const words = errorInWords(save.error, fieldLabels);
  const errorFor = (name: string) => {
    if (name === 'id' && idTaken) return `A provider with id ${idTaken} exists already; choose another id, or edit that provider.`;
    return words.fields[name] ?? null;
  };

  function changeKind(next: ProviderKind) {
    setKind(next);
    setValues((v) => ({ ...emptyValues(next), id: v.id ?? '' }));
    save.reset();
  }

  function set(name: string, value: string | boolean) {
    setValues((v) => ({ ...v, [name]: value }));
    if (name === 'id') setIdTaken(null);
    // A refused service-account file is gone once another is picked: its message goes with it.
    if (name === 'gcp_credentials_json' && words.fields[name]) save.reset();
  }

  function submit() {
    const id = typeof values.id === 'string' ? values.id.trim() : '';
    if (!editing && existingIds.includes(id)) {
      setIdTaken(id);
      return;
    }
    save.mutate({ config: buildConfig(kind, withCredentialChoice(kind, values, gcpSource), editing) });
    // Typed secrets (and a picked service-account file) leave the form as soon as they are sent.
    setValues((v) => {
      const next = { ...v };
      for (const f of fields.specific) if (f.secret) next[f.name] = '';
      return next;
    });
  }

  const title = editing ? `Edit provider “${editing.id}”` : 'Add a provider';
  const kindOptions = (editing ? [editing.kind] : ADDABLE_KINDS).map((k) => ({ value: k, label: PROVIDER_KIND_LABELS[k] }));
  return (
    <Modal
      visible
      size="large"
      closeAriaLabel="Close dialog"
      onDismiss={() => close(null)}
      header={title}
      footer={
        <DialogFooter onCancel={() => close(null)}>
          <Button variant="primary" onClick={submit} loading={save.isPending} loadingText="Saving">
            {editing ? 'Save changes' : 'Add provider'}
          </Button>
        </DialogFooter>
      }
    >
      <SubmitForm onSubmit={submit} errorText={formErrorText(words)}>
        <SpaceBetween size="l">
          <ColumnLayout columns={2}>
            <FormField label="Provider kind">
              <Select
                selectedOption={kindOptions.find((o) => o.value === kind) ?? null}
                onChange={(e) => changeKind(e.detail.selectedOption.value as ProviderKind)}
                options={kindOptions}
                disabled={!!editing}
              />
            </FormField>
            <ProviderFieldInput field={fields.id} value={values.id ?? ''} onChange={(v) => set('id', v)} secretStored={false} error={errorFor('id')} disabled={!!editing} />
          </ColumnLayout>
          <KindFieldset
            kind={kind}
            fields={fields.specific}
            values={values}
            set={set}
            secrets={secrets}
            errorFor={errorFor}
            gcpSource={gcpSource}
            setGcpSource={setGcpSource}
          />
          <Container header={<Header variant="h3">Storage, cache and resilience</Header>}>
            <SpaceBetween size="m">
              {fields.common.map((f) => (
                <ProviderFieldInput
                  key={f.name}
                  field={f}
                  value={values[f.name] ?? (f.input === 'checkbox' ? false : '')}
                  onChange={(v) => set(f.name, v)}
                  secretStored={false}
                  error={errorFor(f.name)}
                />
              ))}
            </SpaceBetween>
          </Container>
        </SpaceBetween>
      </SubmitForm>
    </Modal>
  );
}
