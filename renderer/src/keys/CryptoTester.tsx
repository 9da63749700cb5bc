import type { KeySummary } from '../../../shared/contract.ts';
import { canProtect } from '../../../shared/domain.ts';
import { EncryptPane } from './EncryptPane.tsx';
import { DecryptPane } from './DecryptPane.tsx';

/** Encrypt with the selected key; decrypt any ciphertext (its header names the key and version). */
export function CryptoTester({ keySummary }: { keySummary: KeySummary }) {
  return (
    <div className="subsection">
      <h3>Encrypt / decrypt tester</h3>
      {!canProtect(keySummary.state) && (
        <p className="warning">This key is not active: encrypting with it is refused. Decrypting may still work.</p>
      )}
      <div className="two-columns">
        <EncryptPane keySummary={keySummary} />
        <DecryptPane />
      </div>
    </div>
  );
}
