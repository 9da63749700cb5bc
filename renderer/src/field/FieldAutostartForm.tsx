// The field link's "start when the console unlocks" setting (docs/field-link.md "Starting at unlock") on the Station
// screen: everyone sees the stored setting (field:autostart); an operator allowed to provision (station operator,
// admin) turns it on with an address, or off (field:setAutostart). It applies from the next unlock.
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import type { FieldAutostart } from '../../../shared/fieldContract.ts';
import { channelKey, useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { useCan } from '../session/permissions.ts';
import { AddressForm, portNumber, useAddressDraft } from './AddressForm.tsx';

const AUTOSTART_FIELD_LABELS = { host: 'Address at unlock', port: 'Port at unlock' };

function StoredSetting({ setting }: { setting: FieldAutostart }) {
  return setting.enabled ? (
    <StatusIndicator type="success">
      <span data-testid="field-autostart">{`Starts when the console unlocks, on ${setting.host}:${setting.port}`}</span>
    </StatusIndicator>
  ) : (
    <StatusIndicator type="stopped">
      <span data-testid="field-autostart">Does not start when the console unlocks</span>
    </StatusIndicator>
  );
}

export function FieldAutostartForm() {
  const stored = useChannelQuery('field:autostart', {});
  const mayChange = useCan('provision');
  return (
    <SpaceBetween size="s">
      <ErrorMessage error={stored.error} header="The start-at-unlock setting could not be read" />
      {stored.data && <StoredSetting setting={stored.data} />}
      {stored.data && mayChange && <ChangeAutostart stored={stored.data} />}
    </SpaceBetween>
  );
}

function ChangeAutostart({ stored }: { stored: FieldAutostart }) {
  const queryClient = useQueryClient();
  const draft = useAddressDraft({ host: stored.host, port: String(stored.port) });
  const save = useChannelMutation('field:setAutostart', (value) => {
    queryClient.setQueryData(channelKey('field:autostart', {}), value);
    draft.reset();
  });
  const turnOn = () => save.mutate({ ...stored, enabled: true, host: draft.host.trim(), port: portNumber(draft.port) });
  const turnOff = () => save.mutate({ ...stored, enabled: false });
  return (
    <AddressForm
      name="Start at unlock"
      labels={AUTOSTART_FIELD_LABELS}
      draft={draft}
      onSubmit={turnOn}
      error={save.error}
      portDescription="A fixed TCP port from 1 to 65535: the robots are configured with it."
      actions={
        <SpaceBetween direction="horizontal" size="xs">
          {stored.enabled && (
            <Button formAction="none" onClick={turnOff} disabled={save.isPending}>
              Turn off start at unlock
            </Button>
          )}
          <Button formAction="submit" loading={save.isPending} disabled={save.isPending}>
            {stored.enabled ? 'Save start at unlock' : 'Turn on start at unlock'}
          </Button>
        </SpaceBetween>
      }
    />
  );
}
