import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import type { ProviderStatus } from '../../../shared/contract.ts';
import { healthWord, type HealthWord } from './providerStatusText.ts';

const LOOK: Readonly<Record<HealthWord, StatusIndicatorProps.Type>> = { healthy: 'success', unreachable: 'error', 'not checked': 'pending' };

/** The health word with its status icon, so the state never depends on colour alone. */
export function HealthDot({ provider }: { provider: ProviderStatus }) {
  const word = healthWord(provider);
  return <StatusIndicator type={LOOK[word]}>{word}</StatusIndicator>;
}
