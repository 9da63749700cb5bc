// The recovery codes left in words and whether that is few (docs/operators.md "Recovery codes"): at most
// FEW_RECOVERY_CODES unused codes is a warning, so the operator makes new codes before the last one is spent.

/** At or below this many unused codes the count is shown as a warning. */
export const FEW_RECOVERY_CODES = 2;

export function recoveryCount(left: number): { text: string; few: boolean } {
  return { text: `${left} recovery code${left === 1 ? '' : 's'} left`, few: left <= FEW_RECOVERY_CODES };
}
