// The ca:*, certs:* and station:* channel handlers over the fleet CA service and the station service.
import type { Handlers } from '../../../shared/contract.ts';
import type { FleetCaService } from '../ca/fleetCaService.ts';
import type { BundleService } from './bundleService.ts';
import type { StationService } from './stationService.ts';

type StationChannel =
  | 'ca:status'
  | 'ca:init'
  | 'ca:crl'
  | 'ca:publishedCrl'
  | 'certs:list'
  | 'certs:revoke'
  | 'bundles:build'
  | 'station:status'
  | 'station:start'
  | 'station:stop'
  | 'station:retry'
  | 'station:confirmReprovision'
  | 'bundles:list';

export function createStationHandlers(ca: FleetCaService, station: StationService, bundles: BundleService): Pick<Handlers, StationChannel> {
  return {
    'ca:status': async () => ca.status(),
    'ca:init': (input) => ca.init(input),
    'ca:crl': ({ caId }) => ca.crl(caId),
    'ca:publishedCrl': ({ caId }) => ca.publishedCrl(caId),
    'bundles:build': async ({ deviceId }) => {
      const b = await bundles.build(deviceId);
      return { fileName: b.fileName, content: b.content.toString('base64'), sequence: b.sequence, keys: b.keys };
    },
    'certs:list': async ({ expiringWithinDays, caId }) => ({ certificates: await ca.list(expiringWithinDays, caId) }),
    'certs:revoke': ({ serial, reason }) => ca.revoke(serial, reason),
    'station:status': async () => station.status(),
    'station:start': async (input) => station.start(input),
    'station:stop': () => station.stop(),
    'station:retry': async ({ path }) => station.retry(path),
    'station:confirmReprovision': async ({ deviceId, path }) => station.confirmReprovision(deviceId, path),
    'bundles:list': async ({ deviceId }) => ({ bundles: bundles.list(deviceId) }),
  };
}
