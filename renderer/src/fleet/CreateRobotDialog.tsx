// Register one robot. Every field is checked with the schema the main process enforces before anything is sent, so
// all problems show at once, each beside its field, in words; a refusal from the main process (a device id already
// registered) goes beside the field it names too.
import { useState } from 'react';
import Modal from '@cloudscape-design/components/modal';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import { fleetChannels } from '../../../shared/fleetContract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { fieldErrorsOf, type FieldErrors } from './fieldErrors.ts';
import { errorInWords } from '../components/errorWords.ts';
import { useFleetUi } from './fleetUiStore.ts';
import { DialogFooter } from '../components/DialogFooter.tsx';
import { SubmitForm } from '../components/SubmitForm.tsx';

const FIELDS = ['deviceId', 'name', 'model', 'site', 'firmware', 'tags'] as const;
type Field = (typeof FIELDS)[number];

const LABELS: Record<Field, { label: string; description?: string }> = {
  deviceId: { label: 'Device id', description: '3 to 64 letters, digits, . _ - (starting with a letter or digit)' },
  name: { label: 'Name' },
  model: { label: 'Model' },
  site: { label: 'Site' },
  firmware: { label: 'Firmware', description: 'Optional' },
  tags: { label: 'Tags (separated by ;)', description: 'Optional, e.g. ward-b;night' },
};

const FIELD_LABELS: Readonly<Record<string, string>> = Object.fromEntries(FIELDS.map((f) => [f, LABELS[f].label]));

export function CreateRobotDialog() {
  const close = () => useFleetUi.getState().open(null);
  const [form, setForm] = useState<Record<Field, string>>({ deviceId: '', name: '', model: '', site: '', firmware: '', tags: '' });
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [other, setOther] = useState<string[]>([]);
  const create = useChannelMutation('fleet:create', () => close());
  /** The main process's refusal, in the one wording rule (beside the field it names, else in the form's error). */
  const refusal = errorInWords(create.error, FIELD_LABELS);

  const submit = () => {
    const input = {
      deviceId: form.deviceId.trim(),
      name: form.name,
      model: form.model,
      site: form.site,
      firmware: form.firmware,
      tags: form.tags.split(';').map((t) => t.trim()).filter(Boolean),
    };
    const checked = fieldErrorsOf(fleetChannels['fleet:create'].input, input, FIELDS);
    setErrors(checked.errors);
    setOther(checked.other);
    create.reset();
    if (Object.keys(checked.errors).length === 0 && checked.other.length === 0) create.mutate(input);
  };

  const errorFor = (f: Field): string | undefined => {
    const own = errors[f];
    if (own) return `${LABELS[f].label.replace(/ \(.*\)$/, '')} ${own}`;
    return refusal.fields[f];
  };
  const formError = create.error ? [refusal.summary, refusal.hint].filter(Boolean).join(' ') || undefined : other.join(' ') || undefined;
  const count = Object.keys(errors).length;

  return (
    <Modal
      visible
      onDismiss={close}
      header="Register a robot"
      size="medium"
      footer={
        <DialogFooter onCancel={close}>
          <Button variant="primary" loading={create.isPending} onClick={submit}>
            Register robot
          </Button>
        </DialogFooter>
      }
    >
      <SubmitForm onSubmit={submit} errorText={formError ?? (count > 0 ? `${count} field${count === 1 ? ' needs' : 's need'} a change before the robot can be registered.` : undefined)}>
        <ColumnLayout columns={2}>
          {FIELDS.map((f) => (
            <FormField key={f} label={LABELS[f].label} description={LABELS[f].description} errorText={errorFor(f)} stretch>
              <Input value={form[f]} invalid={errorFor(f) !== undefined} onChange={(e) => setForm({ ...form, [f]: e.detail.value })} />
            </FormField>
          ))}
        </ColumnLayout>
        {/* Enter in a field submits, as in any form. */}
        <button type="submit" hidden />
      </SubmitForm>
    </Modal>
  );
}
