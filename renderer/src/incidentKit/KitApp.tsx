// The offline console on an incident kit (docs/incident-kit.md): a sign-in page for the responder's own passphrase,
// then the offline shell. Both carry the offline banner; nothing here reaches a store or a provider.
import Alert from '@cloudscape-design/components/alert';
import type { KitModeStatus } from '../../../shared/kitOfflineContract.ts';
import { ConnectionBanner } from '../components/ConnectionBanner.tsx';
import { KitShell } from './KitShell.tsx';
import { KitSignIn } from './KitSignIn.tsx';
import { formatWhen } from './kitWords.ts';

/** "Offline - incident kit <id>, exported <date>, no provider is called" on every kit screen. */
export function OfflineBanner({ status }: { status: KitModeStatus }) {
  const m = status.manifest;
  return (
    <div className="kit-offline-banner" data-testid="kit-offline-banner">
      <Alert type="warning" header={m ? `Offline - incident kit ${m.kitId}, exported ${formatWhen(m.exportedAt)}, no provider is called` : 'Offline - incident kit, no provider is called'} statusIconAriaLabel="Offline">
        {m ? `Kit for ${m.responder}, exported by ${m.exportedBy}. This console runs on the kit alone: no store, no provider, no network; everything is recorded in the kit's own audit chain.` : 'The kit cannot be read.'}
      </Alert>
    </div>
  );
}

export function KitApp({ status }: { status: KitModeStatus }) {
  return (
    <div className="kit-mode">
      <ConnectionBanner />
      <OfflineBanner status={status} />
      {status.signedIn && status.manifest ? <KitShell status={status} /> : <KitSignIn status={status} />}
    </div>
  );
}
