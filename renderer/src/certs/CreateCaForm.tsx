// "Create fleet CA": the provider that will hold the CA signing key and its algorithm. The key is created in the
// provider; the console keeps only its reference and the CA certificate.
import { useState } from 'react';
import { CA_ALGORITHMS } from '../../../shared/stationContract.ts';
import { useChannelMutation, useChannelQuery, useQueryClient } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

export function CreateCaForm() {
  const providers = useChannelQuery('providers:list', {});
  const queryClient = useQueryClient();
  const [providerId, setProviderId] = useState('local');
  const [algorithm, setAlgorithm] = useState<(typeof CA_ALGORITHMS)[number]>('EC_P256');
  const [commonName, setCommonName] = useState('ECPS-UV Fleet CA');
  const init = useChannelMutation('ca:init', () => void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'ca:status' || q.queryKey[0] === 'certs:list' }));
  return (
    <form
      className="form panel"
      aria-label="Create fleet CA"
      onSubmit={(e) => {
        e.preventDefault();
        init.mutate({ providerId, algorithm, commonName });
      }}
    >
      <h2>Create fleet CA</h2>
      <label>
        Provider holding the CA signing key
        <select value={providerId} onChange={(e) => setProviderId(e.target.value)}>
          {(providers.data?.providers ?? [{ id: 'local', kind: 'local' }]).map((p) => (
            <option key={p.id} value={p.id}>
              {p.id} ({p.kind})
            </option>
          ))}
        </select>
      </label>
      <label>
        Algorithm
        <select value={algorithm} onChange={(e) => setAlgorithm(e.target.value as (typeof CA_ALGORITHMS)[number])}>
          {CA_ALGORITHMS.map((a) => (
            <option key={a} value={a}>
              {a === 'EC_P256' ? 'ECDSA P-256' : 'RSA 2048'}
            </option>
          ))}
        </select>
      </label>
      <label>
        Common name
        <input value={commonName} onChange={(e) => setCommonName(e.target.value)} maxLength={64} />
      </label>
      <button type="submit" className="primary" disabled={init.isPending}>
        {init.isPending ? 'Creating…' : 'Create fleet CA'}
      </button>
      <ErrorMessage error={init.error} />
    </form>
  );
}
