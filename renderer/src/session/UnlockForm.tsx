import { useEffect, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { SessionStatus } from '../../../shared/contract.ts';
import { call, isApiError } from '../api.ts';
import { channelKey } from '../hooks/channelQuery.ts';
import { useCountdown } from '../hooks/useCountdown.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { formatCountdown } from '../format.ts';

export function UnlockForm({ status }: { status: SessionStatus }) {
  const queryClient = useQueryClient();
  const [operator, setOperator] = useState(status.operator ?? '');
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [retryAt, setRetryAt] = useState<number | null>(() => (status.retryAfterMs > 0 ? Date.now() + status.retryAfterMs : null));
  const waitMs = useCountdown(retryAt);
  const operatorRef = useRef<HTMLInputElement>(null);
  const passphraseRef = useRef<HTMLInputElement>(null);

  // The form opens with focus in the first field to fill: the passphrase when the operator is known (after a lock).
  useEffect(() => {
    (operatorRef.current?.value ? passphraseRef.current : operatorRef.current)?.focus();
  }, []);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const secret = passphrase;
    setPassphrase('');
    setError(null);
    setBusy(true);
    try {
      const next = await call('session:unlock', { operator: operator.trim(), passphrase: secret });
      queryClient.setQueryData(channelKey('session:status', {}), next);
    } catch (err) {
      setError(err);
      const retryAfterMs = isApiError(err) ? err.details?.retryAfterMs : undefined;
      if (typeof retryAfterMs === 'number' && retryAfterMs > 0) setRetryAt(Date.now() + retryAfterMs);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-labelledby="unlock-title" className="form">
      <h2 id="unlock-title">Unlock the key store</h2>
      <label>
        Operator name
        <input ref={operatorRef} value={operator} onChange={(e) => setOperator(e.target.value)} autoComplete="username" required maxLength={64} />
      </label>
      <label>
        Passphrase
        <input ref={passphraseRef} type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="current-password" required />
      </label>
      <ErrorMessage error={error} />
      {waitMs > 0 && (
        <p className="warning" role="status">
          Unlocking is paused after repeated wrong passphrases. Try again in {formatCountdown(waitMs)}.
        </p>
      )}
      <button type="submit" className="primary" disabled={busy || waitMs > 0}>
        {busy ? 'Unlocking…' : 'Unlock'}
      </button>
    </form>
  );
}
