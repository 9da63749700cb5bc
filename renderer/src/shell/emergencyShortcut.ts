// The Emergency screen's keyboard shortcut (docs/ui.md, "Keyboard shortcuts"), pure so a unit test can table it.
/** Alt+Shift+E, by physical key (Alt changes the character on some layouts). */
export const isEmergencyShortcut = (e: { altKey: boolean; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; code: string }): boolean =>
  e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey && e.code === 'KeyE';
