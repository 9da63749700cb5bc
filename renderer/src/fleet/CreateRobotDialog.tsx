import { useState } from 'react';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { useFleetUi } from './fleetUiStore.ts';

export function CreateRobotDialog() {
  const close = () => useFleetUi.getState().open(null);
  const [form, setForm] = useState({ deviceId: '', name: '', model: '', site: '', firmware: '', tags: '' });
  const create = useChannelMutation('fleet:create', () => close());
  const field = (name: keyof typeof form, label: string) => (
    <label>
      {label}
      <input value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
    </label>
  );
  return (
    <Dialog title="Register a robot" onClose={close}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const tags = form.tags.split(';').map((t) => t.trim()).filter(Boolean);
          create.mutate({ deviceId: form.deviceId.trim(), name: form.name, model: form.model, site: form.site, firmware: form.firmware, tags });
        }}
      >
        {field('deviceId', 'Device id')}
        {field('name', 'Name')}
        {field('model', 'Model')}
        {field('site', 'Site')}
        {field('firmware', 'Firmware')}
        {field('tags', 'Tags (separated by ;)')}
        <ErrorMessage error={create.error} />
        <div className="actions">
          <button type="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={create.isPending}>
            Register robot
          </button>
        </div>
      </form>
    </Dialog>
  );
}
