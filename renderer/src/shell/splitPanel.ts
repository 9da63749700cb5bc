// The AppLayout's split panel, filled by the open screen (details of a selected row, docs/ui-design-system.md): a
// screen puts its SplitPanel element here while it shows one and clears it when it closes or the screen unmounts
// (useSplitPanelDetails). Every screen's details go through this one slot; the shell keeps the panel's position and size.
import { useEffect } from 'react';
import { create } from 'zustand';

interface SplitPanelSlot {
  panel: React.ReactNode | null;
  /** Called when the officer closes the panel (its close button). */
  onClose: (() => void) | null;
  show(panel: React.ReactNode, onClose: () => void): void;
  clear(): void;
}

export const useSplitPanel = create<SplitPanelSlot>((set) => ({
  panel: null,
  onClose: null,
  show: (panel, onClose) => set({ panel, onClose }),
  clear: () => set({ panel: null, onClose: null }),
}));

/**
 * A screen's details in the split panel: shown while `panel` is set (memoize it on what it shows), cleared when it is
 * null and when the screen unmounts. `onClose` (stable) runs when the officer closes the panel.
 */
export function useSplitPanelDetails(panel: React.ReactNode | null, onClose: () => void): void {
  const show = useSplitPanel((s) => s.show);
  const clear = useSplitPanel((s) => s.clear);
  useEffect(() => {
    if (panel) show(panel, onClose);
    else clear();
  }, [panel, onClose, show, clear]);
  useEffect(() => clear, [clear]);
}

/** Shared words of every split panel (Cloudscape asks for them). */
export const SPLIT_PANEL_STRINGS = {
  closeButtonAriaLabel: 'Close details',
  openButtonAriaLabel: 'Open details',
  preferencesTitle: 'Details panel preferences',
  preferencesPositionLabel: 'Position',
  preferencesPositionDescription: 'Show the details below the list or beside it.',
  preferencesPositionSide: 'Beside the list',
  preferencesPositionBottom: 'Below the list',
  preferencesConfirm: 'Confirm',
  preferencesCancel: 'Cancel',
  preferencesCloseAriaLabel: 'Close preferences',
  resizeHandleAriaLabel: 'Resize details panel',
  resizeHandleTooltipText: 'Drag or select to resize',
} as const;
