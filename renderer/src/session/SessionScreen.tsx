import type { SessionStatus } from '../../../shared/contract.ts';
import { FirstRunForm } from './FirstRunForm.tsx';
import { UnlockForm } from './UnlockForm.tsx';

/** Before the shell: create the key store on first run, or unlock it. */
export function SessionScreen({ status }: { status: SessionStatus }) {
  return (
    <main className="session-screen legacy">
      <div className="center-card">
        <h1>ECPS-UV Fleet Security Console</h1>
        {status.state === 'uninitialized' ? <FirstRunForm /> : <UnlockForm status={status} />}
        <p className="muted small">
          Key store: <code>{status.storePath}</code>
        </p>
      </div>
    </main>
  );
}
