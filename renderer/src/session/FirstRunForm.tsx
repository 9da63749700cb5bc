import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { call } from '../api.ts';
import { channelKey } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { MIN_PASSPHRASE_LENGTH, passphraseProblem } from './passphrasePolicy.ts';

export function FirstRunForm() {
  const queryClient = useQueryClient();
  const [operator, setOperator] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    const local = passphraseProblem(passphrase, confirmation);
    const secret = passphrase;
    // The passphrase leaves the form state on every submit, accepted or not.
    setPassphrase('');
    setConfirmation('');
    setProblem(local);
    if (local) return;
    setBusy(true);
    try {
      const status = await call('session:init', { operator: operator.trim(), passphrase: secret });
      queryClient.setQueryData(channelKey('session:status', {}), status);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-labelledby="first-run-title" className="form">
      <h2 id="first-run-title">Create the key store</h2>
      <p className="muted">
        No key store exists yet. Name the operator and choose a passphrase of at least {MIN_PASSPHRASE_LENGTH} characters. It
        protects every key; it cannot be recovered if lost.
      </p>
      <label>
        Operator name
        <input value={operator} onChange={(e) => setOperator(e.target.value)} autoComplete="username" required maxLength={64} />
      </label>
      <label>
        Passphrase (at least {MIN_PASSPHRASE_LENGTH} characters)
        <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="new-password" required />
      </label>
      <label>
        Confirm passphrase
        <input type="password" value={confirmation} onChange={(e) => setConfirmation(e.target.value)} autoComplete="new-password" required />
      </label>
      {problem && (
        <div className="error" role="alert">
          {problem}
        </div>
      )}
      <ErrorMessage error={error} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create key store'}
      </button>
    </form>
  );
}
