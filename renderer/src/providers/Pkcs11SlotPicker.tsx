// "List slots": asks the main process which slots and tokens a PKCS#11 module offers (providers:slots for a provider,
// the admin's; operators:tokenSlots when an operator binds a token as their second factor), so the officer picks the
// token instead of typing its label. Choosing a row fills the token label field.
import Table from '@cloudscape-design/components/table';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Box from '@cloudscape-design/components/box';
import type { ChannelOutput } from '../../../shared/contract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

type Pkcs11SlotInfo = ChannelOutput<'providers:slots'>['slots'][number];

const dash = (v: string | null) => (v === null || v === '' ? '—' : v);
const usable = (s: Pkcs11SlotInfo) => s.tokenPresent && s.tokenLabel !== null && s.tokenLabel !== '';

/** The channels that list a module's slots (same input and output). */
export type SlotChannel = 'providers:slots' | 'operators:tokenSlots';

export function Pkcs11SlotPicker({ modulePath, tokenLabel, onPick, channel = 'providers:slots' }: { modulePath: string; tokenLabel: string; onPick(label: string): void; channel?: SlotChannel }) {
  const slots = useChannelMutation(channel);
  const path = modulePath.trim();
  const listed = slots.data?.slots;
  const listedFor = slots.variables?.modulePath;
  const chosen = listed?.filter((s) => usable(s) && s.tokenLabel === tokenLabel) ?? [];
  const pick = (s: Pkcs11SlotInfo | undefined) => {
    if (s && usable(s)) onPick(s.tokenLabel!);
  };

  return (
    <SpaceBetween size="xs">
      <SpaceBetween direction="horizontal" size="s" alignItems="center">
        <Button formAction="none" onClick={() => slots.mutate({ modulePath: path })} disabled={path === ''} loading={slots.isPending} loadingText="Listing slots">
          List slots
        </Button>
        <span role="status" aria-label="Slot listing">
          <Box variant="small" display="inline">
            {path === '' ? 'Give the module path, then list its slots to pick a token.' : listed ? `${listed.length} slot${listed.length === 1 ? '' : 's'} in ${listedFor}` : ''}
          </Box>
        </span>
      </SpaceBetween>
      <ErrorMessage error={slots.error} />
      {listed && listed.length > 0 && (
        <Table
          variant="embedded"
          wrapLines
          items={listed}
          trackBy={(s) => String(s.slotId)}
          selectionType="single"
          selectedItems={chosen}
          isItemDisabled={(s) => !usable(s)}
          onSelectionChange={(e) => pick(e.detail.selectedItems[0])}
          onRowClick={(e) => pick(e.detail.item)}
          ariaLabels={{
            tableLabel: 'Slots of the PKCS#11 module',
            selectionGroupLabel: 'Use',
            allItemsSelectionLabel: () => 'Use',
            itemSelectionLabel: (_, s) =>
              usable(s) ? `Use token ${s.tokenLabel} (slot ${s.slotId})` : s.tokenPresent ? `Slot ${s.slotId}: token not initialised` : `Slot ${s.slotId} has no token`,
          }}
          columnDefinitions={[
            { id: 'slot', header: 'Slot id', cell: (s) => s.slotId },
            { id: 'label', header: 'Token label', cell: (s) => (s.tokenPresent && !s.tokenLabel ? 'not initialised' : dash(s.tokenLabel)) },
            { id: 'manufacturer', header: 'Manufacturer', cell: (s) => dash(s.manufacturer) },
            { id: 'model', header: 'Model', cell: (s) => dash(s.model) },
            { id: 'serial', header: 'Serial', cell: (s) => dash(s.serial) },
            { id: 'present', header: 'Token present', cell: (s) => (s.tokenPresent ? (s.loginRequired ? 'Yes (PIN required)' : 'Yes') : 'No') },
          ]}
        />
      )}
      {listed && listed.length === 0 && <Box variant="small">The module reports no slots.</Box>}
    </SpaceBetween>
  );
}
