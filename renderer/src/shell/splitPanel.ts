// The AppLayout's split panel, filled by the open screen (details of a selected row, docs/ui-design-system.md): a
// screen puts its SplitPanel element here while it shows one and clears it when it closes or the screen unmounts.
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
