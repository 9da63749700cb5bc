import type { ProviderStatus } from '../../../shared/contract.ts';
import { healthWord } from './providerStatusText.ts';

/** A coloured dot plus the word, so the state never depends on colour alone. */
export function HealthDot({ provider }: { provider: ProviderStatus }) {
  const word = healthWord(provider);
  return (
    <span className={`health health-${word.replace(' ', '-')}`}>
      <span className="dot" aria-hidden="true" />
      {word}
    </span>
  );
}
