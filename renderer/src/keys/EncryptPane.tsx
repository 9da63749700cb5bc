import { useState } from 'react';
import type { KeySummary } from '../../../shared/contract.ts';
import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { CopyButton } from '../components/CopyButton.tsx';
import { bytesToBase64, utf8Bytes } from '../format.ts';

export function EncryptPane({ keySummary }: { keySummary: KeySummary }) {
  const [plaintext, setPlaintext] = useState('');
  const [aad, setAad] = useState('');
  const encrypt = useChannelMutation('keys:encrypt');
  // Shown as base64 for copy and paste; the ciphertext itself arrived as bytes.
  const ciphertext = encrypt.data ? bytesToBase64(encrypt.data.ciphertext) : '';

  function submit(e: React.FormEvent) {
    e.preventDefault();
    encrypt.mutate({
      keyId: keySummary.id,
      plaintext: utf8Bytes(plaintext),
      ...(aad ? { aad: utf8Bytes(aad) } : {}),
    });
  }

  return (
    <form onSubmit={submit} className="form" aria-label="Encrypt">
      <h4>Encrypt with “{keySummary.label}”</h4>
      <label>
        Plaintext
        <textarea value={plaintext} onChange={(e) => setPlaintext(e.target.value)} rows={3} />
      </label>
      <label>
        Associated data for encryption (optional)
        <input value={aad} onChange={(e) => setAad(e.target.value)} />
      </label>
      <button type="submit" className="primary" disabled={encrypt.isPending}>
        {encrypt.isPending ? 'Encrypting…' : 'Encrypt'}
      </button>
      <ErrorMessage error={encrypt.error} />
      {encrypt.data && (
        <div className="result-ok">
          <label>
            Ciphertext (base64)
            <textarea readOnly value={ciphertext} rows={4} className="mono" />
          </label>
          <p className="small">
            Encrypted with version {encrypt.data.version} of <code>{encrypt.data.keyId}</code>.
          </p>
          <CopyButton text={ciphertext} label="Copy ciphertext" />
        </div>
      )}
    </form>
  );
}
