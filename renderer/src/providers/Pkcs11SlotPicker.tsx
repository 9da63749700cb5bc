// "List slots": asks the main process which slots and tokens a PKCS#11 module offers (providers:slots), so the
// officer picks the token instead of typing its label. Choosing a row fills pkcs11_token_label.
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

const dash = (v: string | null) => (v === null || v === '' ? '—' : v);

export function Pkcs11SlotPicker({ modulePath, tokenLabel, onPick }: { modulePath: string; tokenLabel: string; onPick(label: string): void }) {
  const slots = useChannelMutation('providers:slots');
  const path = modulePath.trim();
  const listed = slots.data?.slots;
  const listedFor = slots.variables?.modulePath;

  return (
    <div className="slot-picker">
      <div className="toolbar">
        <button type="button" onClick={() => slots.mutate({ modulePath: path })} disabled={path === '' || slots.isPending}>
          {slots.isPending ? 'Listing slots…' : 'List slots'}
        </button>
        <span className="muted small" role="status" aria-label="Slot listing">
          {path === '' ? 'Give the module path, then list its slots to pick a token.' : listed ? `${listed.length} slot${listed.length === 1 ? '' : 's'} in ${listedFor}` : ''}
        </span>
      </div>
      <ErrorMessage error={slots.error} />
      {listed && listed.length > 0 && (
        <table className="grid compact slot-table" aria-label="Slots of the PKCS#11 module">
          <thead>
            <tr>
              <th scope="col">Use</th>
              <th scope="col">Slot id</th>
              <th scope="col">Token label</th>
              <th scope="col">Manufacturer</th>
              <th scope="col">Model</th>
              <th scope="col">Serial</th>
              <th scope="col">Token present</th>
            </tr>
          </thead>
          <tbody>
            {listed.map((s) => {
              const usable = s.tokenPresent && s.tokenLabel !== null && s.tokenLabel !== '';
              const chosen = usable && s.tokenLabel === tokenLabel;
              return (
                <tr
                  key={s.slotId}
                  className={chosen ? 'selected' : usable ? 'pickable' : 'muted'}
                  onClick={() => usable && onPick(s.tokenLabel!)}
                  title={s.description}
                >
                  <td>
                    <input
                      type="radio"
                      name="pkcs11-slot"
                      checked={chosen}
                      disabled={!usable}
                      aria-label={usable ? `Use token ${s.tokenLabel} (slot ${s.slotId})` : s.tokenPresent ? `Slot ${s.slotId}: token not initialised` : `Slot ${s.slotId} has no token`}
                      onChange={() => usable && onPick(s.tokenLabel!)}
                    />
                  </td>
                  <td className="num nowrap">{s.slotId}</td>
                  <td className="nowrap">{s.tokenPresent && !s.tokenLabel ? <span className="muted">not initialised</span> : dash(s.tokenLabel)}</td>
                  <td>{dash(s.manufacturer)}</td>
                  <td>{dash(s.model)}</td>
                  <td className="num nowrap">{dash(s.serial)}</td>
                  <td>{s.tokenPresent ? (s.loginRequired ? 'Yes (PIN required)' : 'Yes') : 'No'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {listed && listed.length === 0 && <p className="muted small">The module reports no slots.</p>}
    </div>
  );
}
