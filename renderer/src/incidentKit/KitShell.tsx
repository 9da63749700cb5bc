// The offline shell: the kit's pre-authorised orders (use one), its registry copy, certificates and CRL, and its own
// audit chain with its verification state. Distinct from the console's shell: no navigation to screens a kit lacks.
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Tabs from '@cloudscape-design/components/tabs';
import type { KitModeStatus } from '../../../shared/kitOfflineContract.ts';
import { useVisibilityReport } from '../session/useVisibilityReport.ts';
import { reportKitVisibility, useKitMutation } from './kitApi.ts';
import { KitAudit } from './KitAudit.tsx';
import { KitCertificatesView } from './KitCertificates.tsx';
import { KitOrders } from './KitOrders.tsx';
import { KitRobots } from './KitRobots.tsx';

export function KitShell({ status }: { status: KitModeStatus }) {
  const signOut = useKitMutation('kitOffline:signOut');
  // The page hidden longer than the idle time locks the kit (the main side decides), as for the console's session.
  useVisibilityReport(reportKitVisibility);
  return (
    <main className="kit-shell" aria-label="Offline incident console">
      <SpaceBetween size="m">
        <Header variant="h1" description={`Signed in as ${status.manifest?.responder ?? ''} on the kit; the registry copy is read-only.`}
          actions={<Button onClick={() => signOut.mutate({})}>Sign out</Button>}>
          Offline incident console
        </Header>
        <Tabs tabs={[
          { id: 'orders', label: 'Orders', content: <KitOrders /> },
          { id: 'robots', label: 'Robots', content: <KitRobots /> },
          { id: 'certificates', label: 'Certificates and CRL', content: <KitCertificatesView /> },
          { id: 'audit', label: 'Kit audit', content: <KitAudit /> },
        ]} />
      </SpaceBetween>
    </main>
  );
}
