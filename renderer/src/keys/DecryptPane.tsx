import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { ChannelOutput } from '../../../shared/contract.ts';
import { useChannelMutation, channelKey } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { base64ToBytes, bytesToBase64, bytesToUtf8, utf8Bytes } from '../format.ts';

export function DecryptPane() {
  const queryClient = useQueryClient();
  const [ciphertext, setCiphertext] = useState('');
  const [aad, setAad] = useState('');
  const [notBase64, setNotBase64] = useState(false);
  const decrypt = useChannelMutation('keys:decrypt');
  const result = decrypt.data;
  const text = result ? bytesToUtf8(result.plaintext) : null;
  const keys = queryClient.getQueryData<ChannelOutput<'keys:list'>>(channelKey('keys:list', {}))?.keys ?? [];
  const decryptedBy = result ? keys.find((k) => k.id === result.keyId) : undefined;

  function submit(e: React.FormEvent) {
    e.preventDefault();
    const bytes = base64ToBytes(ciphertext);
    setNotBase64(bytes === null);
    if (bytes === null) {
      decrypt.reset();
      return;
    }
    decrypt.mutate({ ciphertext: bytes, ...(aad ? { aad: utf8Bytes(aad) } : {}) });
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
      {notBase64 && (
        <div role="alert" className="error">
          The ciphertext is not base64: paste it exactly as the encrypt tester showed it.
        </div>
      )}
      <ErrorMessage error={decrypt.error} />
      {result && (
        <div className="result-ok" role="status">
          <p>
            Decrypted by key <strong>{decryptedBy?.label ?? result.keyId}</strong>, version {result.version}.
          </p>
          <label>
            Decrypted plaintext
            <textarea readOnly value={text ?? bytesToBase64(result.plaintext)} rows={3} />
          </label>
          {text === null && <p className="small muted">Not UTF-8 text: shown as base64.</p>}
        </div>
      )}
    </form>
  );
}
