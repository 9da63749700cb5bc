// Rotation schedules → Rollout waves (issue 13, docs/rotation.md "Rollout to robots"): each recent rollout of a new
// key version to robots with its state, the wave open, and per wave and site how many robots installed it (a progress
// bar); Halt (with a reason) and Resume, retiring a previous version (RolloutDialogs.tsx), the rollout policy (the
// default from the header, a key's own from its row: RolloutPolicyDialog.tsx); and per site how many robots hold each key's current
// version, the one before, and older ones. Data from the rollout:* channels.
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ProgressBar from '@cloudscape-design/components/progress-bar';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { useState } from 'react';
import type { RolloutView } from '../../../shared/rolloutContract.ts';
import { HaltRolloutDialog, RetireVersionDialog } from './RolloutDialogs.tsx';
import { RolloutPolicyDialog } from './RolloutPolicyDialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { SectionTable } from '../components/SectionTable.tsx';
import { useChannelMutation, useChannelQuery } from '../hooks/channelQuery.ts';
import { useMayCall } from '../session/permissions.ts';

const STATE_WORDS: Readonly<Record<RolloutView['state'], { type: 'success' | 'error' | 'in-progress' | 'stopped'; text: string }>> = {
  running: { type: 'in-progress', text: 'Rolling out' },
  halted: { type: 'error', text: 'Halted' },
  done: { type: 'success', text: 'Every robot installed it' },
  superseded: { type: 'stopped', text: 'Superseded by a newer version' },
};

export function RolloutWaves({ keyLabel, onChanged }: { keyLabel: (keyId: string) => string; onChanged: (message: string) => void }) {
  const rollouts = useChannelQuery('rollout:list', { limit: 50 });
  const holdings = useChannelQuery('rollout:holdings', {});
  const resume = useChannelMutation('rollout:resume', (r) => {
    onChanged(`Rollout of ${keyLabel(r.keyId)} v${r.toVersion} resumed.`);
    void rollouts.refetch();
  });
  const [halting, setHalting] = useState<RolloutView | null>(null);
  // Resuming, halting, retiring and reinstating are the key custodian's (rollout:resume, :halt, :retire, :reinstate).
  const mayResume = useMayCall('rollout:resume');
  const mayHalt = useMayCall('rollout:halt');
  const mayRetire = useMayCall('rollout:retire');
  const [retiring, setRetiring] = useState<string | null>(null);
  // The rollout policy being edited: the default one ({}) or a key's own.
  const [policyOf, setPolicyOf] = useState<{ keyId?: string } | null>(null);
  const closed = (message: string | null) => {
    setHalting(null);
    setRetiring(null);
    setPolicyOf(null);
    if (message) {
      onChanged(message);
      void rollouts.refetch();
      void holdings.refetch();
    }
  };
  return (
    <SpaceBetween size="l">
      <SectionTable
        title="Rollout waves"
        counter={`(${rollouts.data?.rollouts.length ?? 0})`}
        description="New key versions reaching robots: the canary wave first, the rest once the canary confirmed its installations."
        actions={<Button onClick={() => setPolicyOf({})}>Rollout policy</Button>}
        items={rollouts.data?.rollouts ?? []}
        loading={rollouts.isPending}
        loadingText="Loading rollouts"
        trackBy="rolloutId"
        empty="No rollouts yet: one starts when a key that robots hold gets a new version."
        columnDefinitions={[
          { id: 'key', header: 'Key', cell: (r) => `${keyLabel(r.keyId)} v${r.fromVersion} → v${r.toVersion}` },
          {
            id: 'state',
            header: 'State',
            cell: (r) => (
              <SpaceBetween size="xxs">
                <StatusIndicator type={STATE_WORDS[r.state].type}>{STATE_WORDS[r.state].text}</StatusIndicator>
                {r.haltReason && <Box variant="small">{r.haltReason}</Box>}
              </SpaceBetween>
            ),
          },
          { id: 'wave', header: 'Open wave', cell: (r) => (r.waves === 1 ? 'one wave' : `${r.openWave} of ${r.waves}${r.openWave === 1 ? ' (canary)' : ''}`) },
          {
            id: 'progress',
            header: 'Per wave and site',
            minWidth: 280,
            cell: (r) => (
              <SpaceBetween size="xs">
                {r.progress.map((p) => (
                  <ProgressBar
                    key={`${p.wave}:${p.site}`}
                    value={p.robots === 0 ? 0 : (p.installed / p.robots) * 100}
                    ariaLabel={`Wave ${p.wave} at ${p.site}`}
                    label={`Wave ${p.wave}${p.wave === 1 && r.waves > 1 ? ' (canary)' : ''}, ${p.site}`}
                    description={`${p.installed} of ${p.robots} installed${p.failed > 0 ? `, ${p.failed} failed` : ''}`}
                    status={p.failed > 0 && r.state === 'halted' ? 'error' : 'in-progress'}
                    resultText={`${p.failed} failed`}
                  />
                ))}
              </SpaceBetween>
            ),
          },
          {
            id: 'actions',
            header: 'Actions',
            cell: (r) => (
              <SpaceBetween size="xs" direction="horizontal">
                {mayResume && r.state === 'halted' && (
                  <Button ariaLabel={`Resume the rollout of ${keyLabel(r.keyId)} v${r.toVersion}`} loading={resume.isPending} onClick={() => resume.mutate({ rolloutId: r.rolloutId })}>
                    Resume
                  </Button>
                )}
                {mayHalt && r.state === 'running' && (
                  <Button ariaLabel={`Halt the rollout of ${keyLabel(r.keyId)} v${r.toVersion}`} onClick={() => setHalting(r)}>
                    Halt
                  </Button>
                )}
                {mayRetire && (
                  <Button ariaLabel={`Retire or reinstate a version of ${keyLabel(r.keyId)}`} onClick={() => setRetiring(r.keyId)}>
                    Retire or reinstate
                  </Button>
                )}
                <Button ariaLabel={`Rollout policy of ${keyLabel(r.keyId)}`} onClick={() => setPolicyOf({ keyId: r.keyId })}>
                  Rollout policy
                </Button>
              </SpaceBetween>
            ),
          },
        ]}
      />
      <ErrorMessage error={rollouts.error ?? resume.error} />
      <SectionTable
        title="Versions held per site"
        label="Key versions held per site"
        description="Robots of each site holding a key's current version, the one before, and older ones."
        items={holdings.data?.sites ?? []}
        loading={holdings.isPending}
        loadingText="Loading holdings"
        trackBy={(h) => `${h.site}:${h.keyId}`}
        empty="No robot holds a key yet."
        columnDefinitions={[
          { id: 'site', header: 'Site', cell: (h) => h.site },
          { id: 'key', header: 'Key', cell: (h) => keyLabel(h.keyId) },
          { id: 'current', header: 'Current version', cell: (h) => `${h.current} (v${h.currentVersion})` },
          { id: 'previous', header: 'The one before', cell: (h) => String(h.previous) },
          { id: 'older', header: 'Older', cell: (h) => String(h.older) },
        ]}
      />
      <ErrorMessage error={holdings.error} />
      {halting && <HaltRolloutDialog rollout={halting} keyLabel={keyLabel(halting.keyId)} onClose={closed} />}
      {retiring && <RetireVersionDialog keyId={retiring} keyLabel={keyLabel(retiring)} onClose={closed} />}
      {policyOf && (policyOf.keyId === undefined ? <RolloutPolicyDialog onClose={closed} /> : <RolloutPolicyDialog keyId={policyOf.keyId} keyLabel={keyLabel(policyOf.keyId)} onClose={closed} />)}
    </SpaceBetween>
  );
}
