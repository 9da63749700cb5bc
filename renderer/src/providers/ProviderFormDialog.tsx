import { useId, useState } from 'react';
import type { ProviderStatus } from '../../../shared/contract.ts';
import { PROVIDER_KIND_LABELS, type ProviderKind } from '../../../shared/domain.ts';
import { errorInWords } from '../components/errorWords.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { useUiStore } from '../state/uiStore.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { ADDABLE_KINDS, fieldsFor } from './providerFields.ts';
import { buildConfig, emptyValues, initialGcpSource, storedSecrets, valuesFromStatus, withCredentialChoice, type FormValues, type GcpCredentialSource } from './providerConfig.ts';
import { ProviderFieldInput } from './ProviderField.tsx';
import { KindFieldset } from './KindFieldset.tsx';


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
  const kindId = useId();
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

  function submit(e: React.FormEvent) {
    e.preventDefault();
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
  return (
    <Dialog title={title} onClose={() => close(null)} wide>
      <form onSubmit={submit} className="form provider-form" aria-label={title} noValidate>
        <div className="form-row">
          <div className="field">
            <label htmlFor={kindId}>Provider kind</label>
            <select id={kindId} value={kind} onChange={(e) => changeKind(e.target.value as ProviderKind)} disabled={!!editing}>
              {(editing ? [editing.kind] : ADDABLE_KINDS).map((k) => (
                <option key={k} value={k}>
                  {PROVIDER_KIND_LABELS[k]}
                </option>
              ))}
            </select>
          </div>
          <ProviderFieldInput
            field={fields.id}
            value={values.id ?? ''}
            onChange={(v) => set('id', v)}
            secretStored={false}
            error={errorFor('id')}
            disabled={!!editing}
          />
        </div>
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
        <fieldset className="field-group">
          <legend>Storage, cache and resilience</legend>
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
        </fieldset>
        <ErrorMessage error={save.error} fieldLabels={fieldLabels} />
        <div className="dialog-buttons">
          <button type="button" onClick={() => close(null)}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : editing ? 'Save changes' : 'Add provider'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
