// Which console the window shows: the offline console when the host runs on an incident kit (`serve --kit`), else the
// console on its store. The kit's status channel answers only in kit mode; a console on a store does not know it.
import { useQuery } from '@tanstack/react-query';
import { isApiError } from '../api.ts';
import { App } from '../App.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { KitApp } from './KitApp.tsx';
import { kitStatusQuery } from './kitApi.ts';

export function KitModeGate() {
  const status = useQuery(kitStatusQuery);
  if (status.isPending) return <p className="center-note" role="status">Connecting to the console…</p>;
  if (status.isError) {
    if (isApiError(status.error)) return <App />;
    return <div className="center-card"><ErrorMessage error={status.error} /></div>;
  }
  return <KitApp status={status.data} />;
}
