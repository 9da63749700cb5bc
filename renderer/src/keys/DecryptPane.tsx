import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { ChannelOutput } from '../../../shared/contract.ts';
import { useChannelMutation, channelKey } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { base64ToUtf8, utf8ToBase64 } from '../format.ts';

export function DecryptPane() {
  const queryClient = useQueryClient();
  const [ciphertext, setCiphertext] = useState('');
  const [aad, setAad] = useState('');
  const decrypt = useChannelMutation('keys:decrypt');
  const result = decrypt.data;
  const text = result ? base64ToUtf8(result.plaintext) : null;
  const keys = queryClient.getQueryData<ChannelOutput<'keys:list'>>(channelKey('keys:list', {}))?.keys ?? [];
  const decryptedBy = result ? keys.find((k) => k.id === result.keyId) : undefined;

  function submit(e: React.FormEvent) {
    e.preventDefault();
    decrypt.mutate({ ciphertext: ciphertext.replace(/\s+/g, ''), ...(aad ? { aad: utf8ToBase64(aad) } : {}) });
  }

  return (
    <form onSubmit={submit} className="form" aria-label="Decrypt">
      <h4>Decrypt</h4>
      <label>
        Ciphertext to decrypt (base64)
        <textarea value={ciphertext} onChange={(e) => setCiphertext(e.target.value)} rows={4} className="mono" />
      </label>
      <label>
        Associated data for decryption (optional)
        <input value={aad} onChange={(e) => setAad(e.target.value)} />
      </label>
      <button type="submit" className="primary" disabled={decrypt.isPending || ciphertext.trim() === ''}>
        {decrypt.isPending ? 'Decrypting…' : 'Decrypt'}
      </button>
      <ErrorMessage error={decrypt.error} />
      {result && (
        <div className="result-ok" role="status">
          <p>
            Decrypted by key <strong>{decryptedBy?.label ?? result.keyId}</strong>, version {result.version}.
          </p>
          <label>
            Decrypted plaintext
            <textarea readOnly value={text ?? result.plaintext} rows={3} />
          </label>
          {text === null && <p className="small muted">Not UTF-8 text: shown as base64.</p>}
        </div>
      )}
    </form>
  );
}
