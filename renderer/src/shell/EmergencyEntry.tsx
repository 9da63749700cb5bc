// The Emergency screen's entry in the top bar (issue 15): one click from every screen, red so it stands apart from
// the navigation, and Alt+Shift+E from anywhere in the window (docs/ui.md, "Keyboard shortcuts"). Shown only to roles
// that may act (security); the main process refuses the rest whatever the window shows.
import { useEffect } from 'react';
import { useUiStore } from '../state/uiStore.ts';
import { hrefFor } from './routes.ts';
import { isEmergencyShortcut } from './emergencyShortcut.ts';

export function useEmergencyShortcut(enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (!isEmergencyShortcut(e)) return;
      e.preventDefault();
      useUiStore.getState().goTo('emergency');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}

export function EmergencyEntry({ active }: { active: boolean }) {
  return (
    <a className="console-emergency" href={hrefFor('emergency')} aria-keyshortcuts="Alt+Shift+E" aria-current={active ? 'page' : undefined} title="Emergency response (Alt+Shift+E)">
      Emergency
    </a>
  );
}
