// Human-readable output of the CLI (the --json form prints the raw values instead).
import type { KeySummary } from '../../../shared/contract.ts';

export function formatKey(k: KeySummary): string {
  return `${k.id} "${k.label}" (${k.type}, ${k.algorithm}, ${k.state}, v${k.currentVersion})`;
}

export function formatKeyTable(keys: readonly KeySummary[]): string {
  if (keys.length === 0) return 'no keys';
  const rows = [
    ['ID', 'LABEL', 'TYPE', 'ALGORITHM', 'STATE', 'VERSION', 'NEXT ROTATION'],
    ...keys.map((k) => [k.id, k.label, k.type, k.algorithm, k.state, `v${k.currentVersion}`, k.nextRotationAt ?? '-']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
