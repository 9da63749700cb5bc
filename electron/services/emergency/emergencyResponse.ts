// Emergency response (issue 15, docs/emergency-response.md): a scope (one robot, a list, a site, a model, a firmware
// version, a tag, the holders of a key version, the robot carrying a certificate, the fleet) is resolved in SQL
// (store/emergencyRepo.ts); the blast-radius preview says what a playbook would touch; a playbook runs its actions in a
// fixed order (compromise keys, revoke certificates + CRL, revoke the fleet CA, quarantine, rotate shared keys, lockdown
// order), each one's progress persisted per item (emergency_run_actions), so a retry runs only what failed. Each
// action goes through the service that owns it (key lifecycle, fleet CA and its transitions, fleet registry, lockdown
// orders), which audits its own operations; this service audits the run (emergency.execute), each action
// (emergency.action), retries and reviews.
// Robot-level scopes need one security officer. Wider ones, and any run that revokes the fleet CA (revoke_ca reaches
// every robot whatever the scope), need two-person approval (emergency.wide; for revoke_ca the stricter of its policy
// and ca.revoke's, guardedActions.ts), or one officer breaks glass with a reason, which raises a CRITICAL alert and
// leaves the run needing a second officer's review. That approval (or break-glass) is the approval of the CA's
// revocation: the run calls the CA transition service directly, not the guarded ca:revoke channel.
import { randomUUID } from 'node:crypto';
import type { CertRevocationReason } from '../../../shared/domain.ts';
import {
  EMERGENCY_ACTIONS, ROBOT_LEVEL_SCOPES, describeScope, isWideOrder, isWidePlaybook, orderEmergencyScope, type EmergencyAction, type EmergencyPreview, type EmergencyRunChanged,
  type EmergencyRunView, type EmergencyScope, type ExecuteInput, type LockdownOrderInput,
} from '../../../shared/emergencyContract.ts';
import { ConsoleError, ERROR_CODES, isConsoleError, type ErrorCode } from '../../../shared/errors.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { EmergencyRepo, RunActionRow, RunRow, ScopeFilter } from '../../store/emergencyRepo.ts';
import type { FleetRepo } from '../../store/fleetRepo.ts';
import type { KeyRow, KeysRepo } from '../../store/keysRepo.ts';
import type { AuditDetails, AuditLog } from '../audit/auditLog.ts';
import type { CaTransition } from '../ca/caTransition.ts';
import { normaliseSerial } from '../ca/fleetCaInventory.ts';
import type { FleetCaService } from '../ca/fleetCaService.ts';
import { QUARANTINE_BATCH_MAX, type FleetRegistry } from '../fleet/fleetRegistry.ts';
import type { KeyLifecycle } from '../keys/keys.ts';
import { breakGlassAlert, type AlertDraft } from '../metrics/alertRules.ts';
import type { LockdownOrderRow } from '../../store/lockdownRepo.ts';
import type { OrderScope } from './lockdownOrder.ts';
import { orderFileName, type IssueOrderInput, type LockdownService } from './lockdownService.ts';


export interface EmergencyDeps {
  repo: EmergencyRepo;
  fleetRepo: FleetRepo;
  keys: KeysRepo;
  /** Provider ids holding a copy of the key (primary, backup, fallback, store). */
  keyProviders(key: KeyRow): string[];
  /** Whether a provider is configured in this console and looks reachable (circuit closed, last health check passed). */
  providerState(providerId: string): { configured: boolean; reachable: boolean };
  /** Robots connected at a provisioning station now (the station service's ports). */
  atStation(): string[];
  lifecycle: Pick<KeyLifecycle, 'setState' | 'rotate'>;
  /** Opens every wave of a key's rollout (rollout.ts expedite): a rotated shared key skips the canary. */
  expediteRollout?(keyId: string, reason: string): void;
  ca: FleetCaService;
  /** Revoking a compromised fleet CA (revoke_ca), and what it would touch (the preview). */
  caTransition: Pick<CaTransition, 'revoke' | 'impact'>;
  fleet: FleetRegistry;
  lockdown: LockdownService;
  /** A recorded CRL as PEM (fleet_crls), or null: a run keeps its CRL's CA and number, not a copy of the CRL. */
  storedCrlPem(caId: string, crlNumber: number): string | null;
  raiseAlert(draft: AlertDraft): void;
  audit: AuditLog;
  session: { require(): unknown; actor(): string };
  clock: Clock;
  logger: Logger;
  transaction<T>(fn: () => T): T;
  /**
   * The same transaction, its WAL checkpoint (when the commit passes SQLite's threshold) left to the event loop's next
   * turn instead of the commit (store.checkpointAfter): revoke_certificates' commit of 10,000 revocations. Absent:
   * `transaction`.
   */
  transactionCheckpointAfter?<T>(fn: () => T): T;
  /** Told after each committed change of a run (app.ts pushes it to the window as emergency:runChanged). */
  onRunChanged?(change: EmergencyRunChanged): void;
}

export interface ExecuteResult {
  dryRun: boolean;
  preview: EmergencyPreview;
  run: EmergencyRunView | null;
  lockdownFile: { fileName: string; content: string } | null;
}

/** A lockdown or lift order issued on its own: its file, its row, and the break-glass run that recorded it (or null). */
export interface StandaloneOrder {
  fileName: string;
  content: string;
  row: LockdownOrderRow;
  runId: string | null;
}

export interface EmergencyResponse {
  /** `caId`: the CA revoke_ca would revoke (default: the current one). */
  preview(scope: EmergencyScope, sample?: number, caId?: string): EmergencyPreview;
  /** `approvedRequestId`: the two-person approval this run executes (approvals:execute); a wide scope needs it or break-glass. */
  execute(input: ExecuteInput, approvedRequestId?: string): Promise<ExecuteResult>;
  retry(runId: string): Promise<Omit<ExecuteResult, 'preview' | 'dryRun'>>;
  runs(limit: number, needsReview?: boolean): EmergencyRunView[];
  run(runId: string): EmergencyRunView;
  review(runId: string, note: string): EmergencyRunView;
  /**
   * A lockdown or lift order on its own (emergency:lockdownOrder): the holders of a key (version) or a certificate
   * serial resolved to their robots now; with break-glass, a run of the lockdown action alone (execute's alert and review).
   */
  issueOrder(input: LockdownOrderInput): Promise<StandaloneOrder>;
  /**
   * A refusal by the CLI before it asks the console (an --out file that exists: the run or order would sign, and use
   * its order number, before the file is written), audited as the console audits its own refusals of the operation:
   * one failed record of its action (lockdown.order, emergency.execute, emergency.retry) naming the signed-in operator,
   * the refusal's code, message and field, `refusedBy: 'cli'`; nothing signed. Throws locked when no one is signed in.
   */
  auditCliRefusal(operation: CliRefusedOperation, err: ConsoleError): void;
}

/** What the CLI was asked to do when it refused before the console was asked (its own options, unchecked). */
export type CliRefusedOperation =
  | { action: 'lockdown.order'; kind: 'lockdown' | 'lift'; scope: unknown; reason: string }
  | { action: 'emergency.execute'; scope: unknown; actions: readonly string[]; reason: string; dryRun: boolean }
  | { action: 'emergency.retry'; runId: string };

type ItemState = 'pending' | 'done' | 'failed' | 'skipped';
interface Item {
  state: ItemState;
  code?: string;
  message?: string;
  [k: string]: unknown;
}
interface Detail {
  items: Record<string, Item>;
  [k: string]: unknown;
}
/** An action's items counted by state (what the progress events and the list of runs show). */
type ItemCounts = Record<ItemState | 'total', number>;

/** The default lockdown when the playbook gives none: stop operating for 7 days, the run's reason as message. */
const DEFAULT_LOCKDOWN_SECONDS = 7 * 24 * 3600;
const DEFAULT_SAMPLE = 20;
/** Robots in scope told later, and how. */
const LATER_HOW = ['next station visit (serial link: bundle, lockdown order, CRL)', 'key bundle file (USB stick)', 'lockdown order file (USB stick)'];
const ROTATABLE = new Set(['communication', 'storage']);
const QUARANTINABLE = new Set(['provisioned', 'deployed']);
/** Keys marked compromised (and disabled at their providers) at the same time by one run. */
export const COMPROMISE_CONCURRENCY = 8;

/** Runs `fn` over `items`, at most `limit` at a time, in the items' order; resolves when all have settled. */
export async function eachConcurrently<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const invalid = (message: string, field: string) => new ConsoleError('invalid_input', message, { field });
const errorOf = (e: unknown) => (isConsoleError(e) ? { code: e.code, message: e.message.slice(0, 500) } : { code: 'internal', message: 'failed unexpectedly' });

/** The scope as the repository's filter; a serial in its stored (CA) form. */
function filterOf(scope: EmergencyScope): ScopeFilter {
  switch (scope.kind) {
    case 'robot':
      return { kind: 'robots', deviceIds: [scope.deviceId] };
    case 'serial':
      return { kind: 'serial', serial: normaliseSerial(scope.serial) };
    case 'key':
      return { kind: 'key', keyId: scope.keyId, version: scope.version };
    default:
      return scope;
  }
}

/** An item state as one letter of a packed list, and back. */
const STATE_LETTER: Readonly<Record<ItemState, string>> = { pending: 'p', done: 'd', failed: 'f', skipped: 's' };
const LETTER_STATE: Readonly<Record<string, ItemState>> = { p: 'pending', d: 'done', f: 'failed', s: 'skipped' };

/**
 * Items as stored when they are many (revoke_certificates: one per certificate): the keys in order, each one's robot
 * and state (one letter each, `states`); an item with anything else (a failure's code and message) is kept whole in
 * `other`, its deviceIds entry null. Read back as the same items (unpackItems), in the same order.
 */
export interface PackedItems {
  keys: string[];
  deviceIds: Array<string | null>;
  states: string;
  other: Record<string, Item>;
}

export function packItems(items: Record<string, Item>): PackedItems {
  const keys: string[] = [];
  const deviceIds: Array<string | null> = [];
  const states: string[] = [];
  const other: Record<string, Item> = {};
  for (const key in items) {
    const item = items[key]!;
    keys.push(key);
    let plain = typeof item.deviceId === 'string' && Object.hasOwn(STATE_LETTER, item.state);
    if (plain) {
      for (const field in item) {
        if (field !== 'state' && field !== 'deviceId') {
          plain = false;
          break;
        }
      }
    }
    // An unknown state (none is written) counts in the total only, as summary counts it.
    states.push(STATE_LETTER[item.state] ?? 'x');
    if (plain) deviceIds.push(item.deviceId as string);
    else {
      deviceIds.push(null);
      other[key] = item;
    }
  }
  return { keys, deviceIds, states: states.join(''), other };
}

export function unpackItems(packed: PackedItems): Record<string, Item> {
  const items: Record<string, Item> = {};
  const { keys, deviceIds, states, other } = packed;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    items[key] = other[key] ?? { state: LETTER_STATE[states[i]!] ?? 'pending', deviceId: deviceIds[i] };
  }
  return items;
}

/** A stored detail with its items as objects (packed ones unpacked). */
function parseDetail(text: string): Detail {
  const { packedItems, ...d } = JSON.parse(text) as Detail & { packedItems?: PackedItems };
  if (packedItems !== undefined) d.items = unpackItems(packedItems);
  return d as Detail;
}

/** A stored detail's items counted by state; packed items are counted from their states without being unpacked. */
function storedSummary(text: string): ItemCounts {
  const d = JSON.parse(text) as { items?: Record<string, { state: string }>; packedItems?: PackedItems };
  const out: ItemCounts = { total: 0, done: 0, failed: 0, skipped: 0, pending: 0 };
  if (d.packedItems !== undefined) {
    for (let i = 0; i < d.packedItems.states.length; i++) {
      const state = LETTER_STATE[d.packedItems.states[i]!];
      out.total++;
      if (state) out[state]++;
    }
    return out;
  }
  return summary(d);
}

/** An action's items counted by state (the list of runs shows this instead of every item). */
function summary(detail: { items?: Record<string, { state: string }> }): ItemCounts {
  const out = { total: 0, done: 0, failed: 0, skipped: 0, pending: 0 };
  for (const item of Object.values(detail.items ?? {})) {
    out.total++;
    if (item.state === 'done' || item.state === 'failed' || item.state === 'skipped' || item.state === 'pending') out[item.state]++;
  }
  return out;
}

export function createEmergencyResponse(deps: EmergencyDeps): EmergencyResponse {
  const { repo } = deps;
  /** Runs this console is executing or retrying now: a second retry of one of them is refused. */
  const inProgress = new Set<string>();
  const nowIso = () => new Date(deps.clock.now()).toISOString();

  /** Refuses scopes that name what does not exist (a robot, a key, a certificate): a typo must not look like "nothing to do". */
  function checkScope(scope: EmergencyScope, filter: ScopeFilter): void {
    if (filter.kind === 'robots') {
      const missing = filter.deviceIds.filter((d) => deps.fleetRepo.get(d) === null);
      if (missing.length > 0) throw new ConsoleError('not_found', `No robot with device id ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}.`);
    }
    if (filter.kind === 'key' && deps.keys.get(filter.keyId) === null) throw new ConsoleError('not_found', `No key ${filter.keyId}.`);
    if (filter.kind === 'serial' && deps.fleetRepo.getCertificate(filter.serial) === null) throw new ConsoleError('not_found', `No robot certificate with serial ${scope.kind === 'serial' ? scope.serial : ''}.`);
  }

  /** What revoke_ca would touch: the CA's certificates not revoked yet and the robots holding a valid one. */
  function caImpact(caId: string | undefined): EmergencyPreview['ca'] {
    const impact = deps.caTransition.impact(caId);
    if (impact === null) {
      if (caId !== undefined) throw new ConsoleError('not_found', `No fleet CA ${caId}.`);
      return null;
    }
    const { ca } = impact;
    return { caId: ca.id, subject: ca.subject, providerId: ca.providerId, state: ca.state, certificates: impact.certificates, robots: impact.robots };
  }

  function preview(scope: EmergencyScope, sample = DEFAULT_SAMPLE, caId?: string): EmergencyPreview {
    deps.session.require();
    const filter = filterOf(scope);
    checkScope(scope, filter);
    const facts = repo.facts(filter, sample);
    const byKey = new Map<string, { versions: Array<{ version: number; robotsInScope: number }>; inScope: number }>();
    for (const h of facts.holdings) {
      const k = byKey.get(h.keyId) ?? { versions: [], inScope: 0 };
      k.versions.push({ version: h.version, robotsInScope: h.robots });
      k.inScope += h.robots;
      byKey.set(h.keyId, k);
    }
    if (filter.kind === 'key' && !byKey.has(filter.keyId)) byKey.set(filter.keyId, { versions: [], inScope: 0 });
    const purposes = new Map<string, Set<string>>();
    const use = (providerId: string, purpose: string) => {
      const set = purposes.get(providerId) ?? new Set<string>();
      set.add(purpose);
      purposes.set(providerId, set);
    };
    const keys: EmergencyPreview['keys'] = [...byKey].map(([keyId, k]) => {
      const row = deps.keys.get(keyId);
      const outside = Math.max(0, deps.fleetRepo.countHolders(keyId) - k.inScope);
      const providers = row ? [...new Set(deps.keyProviders(row))] : [];
      let plan: 'compromise' | 'rotate' | 'none' = 'none';
      const live = row !== null && row.state !== 'compromised' && row.state !== 'destroyed';
      if (filter.kind === 'key') {
        // The scope names the compromised key; its holders are who must be told, not what leaked.
        if (keyId === filter.keyId && row !== null && row.state !== 'destroyed') plan = 'compromise';
      } else if (live && outside === 0) plan = 'compromise';
      else if (live && row.state === 'active' && ROTATABLE.has(row.type)) plan = 'rotate';
      for (const p of providers) if (plan !== 'none') use(p, plan === 'compromise' ? 'disable key (compromise)' : 'rotate shared key');
      return { keyId, label: row?.label ?? null, type: row?.type ?? null, state: row?.state ?? null, versions: k.versions, robotsInScope: k.inScope, robotsOutside: outside, plan, providers };
    });
    const ca = deps.ca.status();
    if (ca.initialized && ca.providerId) use(ca.providerId, 'sign the CRL');
    const emergencyKey = deps.keys.list({ type: 'emergency', state: 'active' })[0];
    if (emergencyKey) use(emergencyKey.provider, 'sign the lockdown order');
    const stationNow = deps.atStation();
    const now = stationNow.length === 0 ? [] : repo.membersOf(filter, stationNow);
    const rotate = keys.filter((k) => k.plan === 'rotate');
    const holdingsOutside = rotate.reduce((n, k) => n + k.robotsOutside, 0);
    return {
      scope,
      approval: ROBOT_LEVEL_SCOPES.has(scope.kind) ? 'one_officer' : 'two_person',
      robots: {
        total: facts.robots,
        byStatus: facts.byStatus,
        sample: facts.sample.map((r) => ({ deviceId: r.deviceId, name: r.name, site: r.site, model: r.model, firmware: r.firmware, status: r.status })),
      },
      certificates: { total: facts.certificates, sample: facts.certificateSample },
      keys,
      reach: { now, later: Math.max(0, facts.robots - now.length), how: LATER_HOW },
      providers: [...purposes].map(([providerId, p]) => ({ providerId, purposes: [...p].sort(), ...deps.providerState(providerId) })).sort((a, b) => a.providerId.localeCompare(b.providerId)),
      outside: {
        sharedKeys: rotate.length,
        holdingsOutside,
        summary: rotate.length === 0
          ? 'No key held in scope is shared with robots outside it: robots outside the scope keep working unchanged.'
          : `${rotate.length} shared key(s) are held by ${holdingsOutside} robot holding(s) outside the scope: rotating them gives those robots a new version with their next bundle, so they keep working while the robots in scope (quarantined) are cut off.`,
      },
      ca: caImpact(caId),
    };
  }

  // ---- the actions ----

  interface RunContext {
    run: RunRow;
    scope: EmergencyScope;
    options: { certificateReason: CertRevocationReason; lockdown: NonNullable<ExecuteInput['lockdown']>; origin?: 'order' };
    lockdownFile: { fileName: string; content: string } | null;
  }

  /** Tells the listener of a committed change; a listener that throws never fails the run. */
  function notify(change: EmergencyRunChanged): void {
    try {
      deps.onRunChanged?.(change);
    } catch (e) {
      deps.logger.warn('emergency run listener failed', { runId: change.runId, code: errorOf(e).code });
    }
  }
  /** `counts`: the items' counts when the caller keeps them (a batch's progress), instead of counting every item again. */
  const stepChange = (a: Pick<RunActionRow, 'runId' | 'position' | 'action'>, state: RunActionRow['state'], attempts: number, detail: Detail, counts?: ItemCounts) => ({
    position: a.position, action: a.action as EmergencyAction, state, attempts, items: counts ? { ...counts } : summary(detail),
  });

  const stateReason = (run: RunRow) => `emergency run ${run.runId}: ${run.reason}`.slice(0, 500);

  /**
   * What each action will work through, fixed when the run starts (a retry finishes the same list). Except
   * revoke_certificates: its list (one item per certificate, 10,000 in a fleet-wide run) is listed when the action runs
   * and stored once, with its outcome, in the commit that revokes them (listCertificates); until then its items are empty.
   */
  function plannedItems(action: EmergencyAction, p: EmergencyPreview): Detail {
    const items: Record<string, Item> = {};
    switch (action) {
      case 'compromise_keys':
        for (const k of p.keys) if (k.plan === 'compromise') items[k.keyId] = { state: 'pending' };
        break;
      case 'rotate_shared':
        for (const k of p.keys) if (k.plan === 'rotate') items[k.keyId] = { state: 'pending' };
        break;
      case 'quarantine':
        for (const r of repo.robotsOf(filterOf(p.scope))) items[r.deviceId] = QUARANTINABLE.has(r.status) ? { state: 'pending' } : { state: 'skipped', message: `robot is ${r.status}` };
        break;
      case 'revoke_ca':
        // execute refuses revoke_ca when there is no CA to revoke.
        if (p.ca) items[p.ca.caId] = { state: 'pending' };
        break;
      case 'lockdown':
        items.order = { state: 'pending' };
        break;
    }
    return { items };
  }

  /**
   * Marks each key compromised and disables it at its providers, COMPROMISE_CONCURRENCY keys at a time (the provider
   * round trips overlap; each key's own locations stay in the key service's order). Each key's outcome is its own item,
   * saved as soon as it is known, so a retry redoes only the keys that failed.
   */
  async function compromiseKeys(ctx: RunContext, d: Detail, save: () => void): Promise<void> {
    const todo = Object.entries(d.items).filter(([, item]) => item.state === 'pending' || item.state === 'failed').map(([keyId]) => keyId);
    await eachConcurrently(todo, COMPROMISE_CONCURRENCY, async (keyId) => {
      try {
        const change = await deps.lifecycle.setState(keyId, 'compromised', stateReason(ctx.run));
        d.items[keyId] = change.complete
          ? { state: 'done', locations: change.locations.length }
          : { state: 'failed', code: 'incomplete', message: `not reached: ${change.unreached.map((u) => `${u.provider}/${u.role}`).join(', ')}` };
      } catch (e) {
        const err = errorOf(e);
        // Already compromised, every location reached (an earlier run or a retry that got there).
        const key = deps.keys.get(keyId);
        d.items[keyId] = err.code === 'illegal_transition' && key?.state === 'compromised' ? { state: 'done', note: 'already compromised' } : { state: 'failed', ...err };
      }
      save();
    });
  }

  /**
   * revoke_certificates' items when the action first runs: the scope's active certificate copies and its valid
   * certificates of every CA (the current one, or a retired one during a transition) that the registry has no active
   * copy of (a session that never committed), with the CA that issued each (serial -> CA id, into `issuer`). Answers
   * the serials listed, in the items' order (each item is pending): the run's todo list without a pass over the items.
   */
  function listCertificates(scope: EmergencyScope, items: Record<string, Item>, issuer: Map<string, string>): string[] {
    const filter = filterOf(scope);
    const listed: string[] = [];
    // Each listing is one list per column (no object per row): only the items are objects.
    const copies = repo.certificateListOf(filter);
    for (let i = 0; i < copies.serials.length; i++) {
      const serial = copies.serials[i]!.toLowerCase();
      if (items[serial] === undefined) listed.push(serial);
      items[serial] = { state: 'pending', deviceId: copies.deviceIds[i] };
    }
    const valid = repo.validCaCertificateListOf(filter, nowIso());
    for (let i = 0; i < valid.serials.length; i++) {
      const serial = valid.serials[i]!.toLowerCase();
      if (items[serial] === undefined) {
        listed.push(serial);
        items[serial] = { state: 'pending', deviceId: valid.deviceIds[i] };
      }
      issuer.set(serial, valid.caIds[i]!);
    }
    return listed;
  }

  async function revokeCertificates(ctx: RunContext, d: Detail, _save: () => void, finish: (counts?: ItemCounts) => void, progress: (counts?: ItemCounts) => void): Promise<boolean> {
    // serial -> the CA that issued it, for every CA's valid certificate (the current CA's and a retired one's).
    const issuer = new Map<string, string>();
    let listedNow = true;
    for (const _ in d.items) {
      listedNow = false;
      break;
    }
    // The serials to revoke (pending, or failed in an earlier attempt) and the counts by state: listed now, every
    // item is pending, in the listing's order; otherwise one pass over the items.
    let todo: string[] = [];
    const counts: ItemCounts = { total: 0, done: 0, failed: 0, skipped: 0, pending: 0 };
    if (listedNow) {
      todo = listCertificates(ctx.scope, d.items, issuer);
      counts.total = counts.pending = todo.length;
    } else {
      for (const serial in d.items) {
        const state = d.items[serial]!.state;
        counts.total++;
        if (state === 'done' || state === 'failed' || state === 'skipped' || state === 'pending') counts[state]++;
        if (state === 'pending' || state === 'failed') todo.push(serial);
      }
    }
    if (todo.length === 0) return false;
    // The items as they were, should the attempt roll back (an item's earlier failure is replaced by this one's); an
    // item listed now was {state: pending, deviceId} (its deviceId is read back from it then).
    const before = listedNow ? null : todo.map((serial) => d.items[serial]!);
    const keys = new Set(Object.keys(d));
    const reason = ctx.options.certificateReason;
    const actor = deps.session.actor();
    if (before !== null) {
      for (const c of deps.ca.validCertificatesOfDevices([...new Set(before.map((i) => String(i.deviceId)))])) issuer.set(c.serial.toLowerCase(), c.caId);
    }
    const revokedAt = new Date(Math.floor(deps.clock.now() / 1000) * 1000).toISOString();
    /** Marks an item done as it is stored with the outcome ({state, deviceId}), moving one count. */
    const markDone = (serial: string, item: Item) => {
      if (item.state === 'done') return;
      counts[item.state]--;
      counts.done++;
      // An item listed by this attempt is {state, deviceId} already: changed in place, not copied.
      if (listedNow) item.state = 'done';
      else d.items[serial] = { state: 'done', deviceId: item.deviceId };
    };
    try {
      // Each CA's serials as one list, in the todo's order (no object per serial): the CRLs and the batches read them.
      const pending = new Map<string, string[]>();
      for (const serial of todo) {
        const caId = issuer.get(serial);
        if (caId === undefined) continue;
        const list = pending.get(caId);
        if (list) list.push(serial);
        else pending.set(caId, [serial]);
      }
      // Signed before the store changes (provider.sign is asynchronous, the transaction is not), one CRL per CA that
      // issued one of them; the current CA's is published even when nothing new is listed, so robots get a fresh CRL.
      const signed = await deps.ca.prepareRevocations(pending, { reason, revokedAt, actor, withCurrent: true });
      // One transaction: each CA's revocations and the registry's copies in batches of REVOKE_BATCH_MAX, each batch one
      // ca.revoke.batch record naming its serials, the reason and that CA's CRL number; the CRLs recorded; then the
      // action's outcome and its emergency.action record (finish), so the run's items are written once more, not twice,
      // and one durable commit holds all of it. A failure anywhere rolls all of it back (the items stay failed, a retry
      // does them again). Each batch written is pushed as progress (not committed yet: a rollback makes them failed).
      // The counts kept as the batches go: counting the 10,000 items again after each batch was a fifth of the run's CPU.
      const batchDone = (serials: readonly string[]) => {
        for (const serial of serials) {
          const item = d.items[serial];
          if (item !== undefined) markDone(serial, item);
        }
        progress(counts);
      };
      (deps.transactionCheckpointAfter ?? deps.transaction)(() => {
        for (const x of signed) {
          deps.ca.revokeBatchWithRegistryCopies(x.ca, x.serials, reason, { at: revokedAt, actor, details: { trigger: 'emergency', runId: ctx.run.runId, crlNumber: x.crl.crlNumber }, onBatch: batchDone });
        }
        for (const serial of todo) {
          const item = d.items[serial]!;
          // Marked done by its batch already (batchDone).
          if (item.state === 'done') continue;
          // A registry copy whose CA certificate is no longer valid (revoked or expired), or no CA: the registry alone.
          if (!issuer.has(serial) && deps.fleetRepo.getCertificate(serial)?.status === 'active') deps.fleet.revokeCertificate(serial, reason);
          markDone(serial, item);
        }
        for (const x of signed) x.crl.record({ trigger: 'emergency', runId: ctx.run.runId });
        // The first is the current CA's when there is one; every CA's CRL is in `crls`. The PEMs are shown, not stored
        // (storedDetail): each CRL is recorded in fleet_crls by its CA and number.
        const first = signed[0];
        if (first) Object.assign(d, { crlCaId: first.ca.id, crlNumber: first.crl.crlNumber, crlRevoked: first.crl.revoked, crlPem: first.crl.pem });
        if (signed.length > 1 || (first && !deps.ca.status().initialized)) {
          d.crls = signed.map((x) => ({ caId: x.ca.id, crlNumber: x.crl.crlNumber, revoked: x.crl.revoked, pem: x.crl.pem }));
        }
        if (!first) d.note = 'no fleet CA: the registry copies are revoked, no CRL was signed';
        finish(counts);
      });
      return true;
    } catch (e) {
      const err = errorOf(e);
      // Rolled back: no CRL of this attempt was recorded, so none is named.
      for (const k of Object.keys(d)) if (!keys.has(k)) delete d[k];
      for (const [i, serial] of todo.entries()) {
        const was = before === null ? { state: 'pending' as const, deviceId: d.items[serial]!.deviceId } : before[i]!;
        d.items[serial] = { ...was, state: 'failed', ...err };
      }
      return false;
    }
  }

  /** Revokes the fleet CA through the CA transition service (every certificate it issued, a final CRL, its robots flagged). */
  async function revokeCa(ctx: RunContext, d: Detail): Promise<void> {
    for (const [caId, item] of Object.entries(d.items)) {
      if (item.state !== 'pending' && item.state !== 'failed') continue;
      d.caId = caId;
      try {
        const out = await deps.caTransition.revoke({ caId, reason: stateReason(ctx.run), runId: ctx.run.runId });
        d.items[caId] = { state: 'done', revoked: out.revokedSerials.length, flagged: out.flagged.length };
        Object.assign(d, { crlNumber: out.finalCrl.crlNumber, crlRevoked: out.finalCrl.revoked, crlPem: out.finalCrl.pem, fileName: out.finalCrl.fileName });
      } catch (e) {
        const err = errorOf(e);
        // Revoked already (a retry after a console that stopped before saving the outcome).
        const already = err.code === 'illegal_transition' && deps.caTransition.impact(caId)?.ca.state === 'compromised';
        d.items[caId] = already ? { state: 'done', note: 'CA revoked already' } : { state: 'failed', ...err };
      }
    }
  }

  /**
   * Quarantines the robots in batches of QUARANTINE_BATCH_MAX: each batch one transaction and one robot.status.batch
   * record naming its robots (docs/emergency-response.md); a batch that fails leaves its robots failed and unchanged.
   * Each batch's outcome is pushed as progress, and the event loop gets a turn before the next batch (the window's
   * requests and the pushed events are not held until the whole fleet is done).
   */
  async function quarantine(ctx: RunContext, d: Detail, _save: () => void, _finish: () => void, progress: (counts?: ItemCounts) => void): Promise<void> {
    const todo = Object.entries(d.items).filter(([, item]) => item.state === 'pending' || item.state === 'failed').map(([deviceId]) => deviceId);
    // The counts kept as the batches go (as revoke_certificates does): counting every item again after each batch
    // is quadratic over a fleet-wide run (100 batches of 100,000 items).
    const counts = summary(d);
    const put = (deviceId: string, item: Item) => {
      const before = d.items[deviceId];
      if (before) counts[before.state]--;
      counts[item.state]++;
      d.items[deviceId] = item;
    };
    for (let i = 0; i < todo.length; i += QUARANTINE_BATCH_MAX) {
      const batch = todo.slice(i, i + QUARANTINE_BATCH_MAX);
      try {
        const outcome = deps.fleet.quarantineBatch(batch, stateReason(ctx.run), { runId: ctx.run.runId, batch: i / QUARANTINE_BATCH_MAX + 1, batches: Math.ceil(todo.length / QUARANTINE_BATCH_MAX) });
        for (const deviceId of batch) {
          const o = outcome.get(deviceId);
          put(deviceId, o === 'quarantined'
            ? { state: 'done' }
            : o === 'already'
              ? { state: 'done', note: 'already quarantined' }
              : { state: 'failed', code: o ?? 'internal', message: o === 'not_found' ? `No robot with device id ${deviceId}.` : `Robot ${deviceId} cannot become quarantined.` });
        }
      } catch (e) {
        const err = errorOf(e);
        for (const deviceId of batch) put(deviceId, { state: 'failed', ...err });
      }
      progress(counts);
      if (i + QUARANTINE_BATCH_MAX < todo.length) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  async function rotateShared(ctx: RunContext, d: Detail, save: () => void): Promise<void> {
    for (const [keyId, item] of Object.entries(d.items)) {
      if (item.state !== 'pending' && item.state !== 'failed') continue;
      try {
        const key = await deps.lifecycle.rotate(keyId);
        // The robots outside the scope get the new version at their next visit, all of them: a canary wave would
        // leave the others on the version the compromised robots hold.
        deps.expediteRollout?.(keyId, `emergency run ${ctx.run.runId}`);
        d.items[keyId] = { state: 'done', version: key.currentVersion };
      } catch (e) {
        d.items[keyId] = { state: 'failed', ...errorOf(e) };
      }
      // Kept at once: a console that stops mid-action does not rotate this key again at the retry.
      save();
    }
  }

  /**
   * The scope an order names for a playbook's scope: the same selector; for a robot list, the holders of a key (version)
   * or the robot of a certificate serial, the robots themselves, resolved now (`resolvedFrom` says what was named).
   * null: that names no robot (an order for nobody is never signed).
   */
  function orderScopeFor(s: EmergencyScope): { scope: OrderScope; resolvedFrom?: string } | null {
    switch (s.kind) {
      case 'fleet': return { scope: { fleet: true } };
      case 'site': return { scope: { site: s.site } };
      case 'model': return { scope: { model: s.model } };
      case 'firmware': return { scope: { firmware: s.firmware } };
      case 'tag': return { scope: { tag: s.tag } };
      case 'robot': return { scope: { deviceIds: [s.deviceId] } };
      case 'robots': return { scope: { deviceIds: s.deviceIds } };
      case 'key':
      case 'serial': {
        const deviceIds = repo.robotsOf(filterOf(s)).map((r) => r.deviceId);
        return deviceIds.length === 0 ? null : { scope: { deviceIds }, resolvedFrom: describeScope(s) };
      }
    }
  }

  /** The order settings of a lockdown (the playbook's, or an order's own) as the lockdown service's input. */
  const orderInputOf = (
    l: NonNullable<ExecuteInput['lockdown']> & { kind?: 'lockdown' | 'lift' },
    reason: string,
    target: { scope: OrderScope; resolvedFrom?: string },
  ): IssueOrderInput => ({
    kind: l.kind ?? 'lockdown', scope: target.scope, actions: l.actions, reason, message: l.message, validForSeconds: l.validForSeconds,
    ...(l.mode ? { mode: l.mode } : {}), ...(l.wipeKeys ? { wipeKeys: l.wipeKeys } : {}), ...(l.keyId ? { keyId: l.keyId } : {}),
    ...(l.distrustCaIds ? { distrustCaIds: l.distrustCaIds } : {}),
    ...(target.resolvedFrom ? { resolvedFrom: target.resolvedFrom } : {}),
  });

  async function lockdown(ctx: RunContext, d: Detail): Promise<void> {
    const item = d.items.order;
    if (!item || (item.state !== 'pending' && item.state !== 'failed')) return;
    const target = orderScopeFor(ctx.scope);
    if (target === null) {
      d.items.order = { state: 'skipped', message: 'no robot in scope' };
      return;
    }
    try {
      const issued = await deps.lockdown.issue(orderInputOf(ctx.options.lockdown, ctx.run.reason, target));
      const fileName = orderFileName(issued.order);
      ctx.lockdownFile = { fileName, content: issued.file.toString('base64') };
      d.items.order = { state: 'done', sequence: issued.order.sequence, orderId: issued.order.orderId };
      Object.assign(d, { fileName, content: ctx.lockdownFile.content, sequence: issued.order.sequence });
    } catch (e) {
      d.items.order = { state: 'failed', ...errorOf(e) };
    }
  }

  /**
   * Each action works through its items; `save` persists the detail so far (after each provider round trip). A runner
   * that commits its work in one transaction of its own may call `finish` inside it (the action's outcome, its record
   * and, after the last action, the run's state) and answer true; otherwise runActions writes the outcome after it.
   * `progress` pushes the items' counts so far without storing them (after each batch of a fleet-wide action).
   */
  type Runner = (ctx: RunContext, d: Detail, save: () => void, finish: (counts?: ItemCounts) => void, progress: (counts?: ItemCounts) => void) => Promise<boolean | void>;
  const RUNNERS: Readonly<Record<EmergencyAction, Runner>> = {
    compromise_keys: compromiseKeys,
    revoke_certificates: revokeCertificates,
    revoke_ca: revokeCa,
    quarantine,
    rotate_shared: rotateShared,
    lockdown,
  };

  /**
   * Runs the run's unfinished actions in order; each action's outcome is persisted and audited before the next.
   * `startedFirst`: the run was stored with its first action running (execute: one commit fewer). Answers each action's
   * detail as it was persisted last, by position (the caller's view needs not read and parse it back).
   */
  async function runActions(ctx: RunContext, retry: boolean, startedFirst = false): Promise<Map<number, Detail>> {
    const current = repo.getRun(ctx.run.runId)!;
    const states = new Map(current.actions.map((a) => [a.position, a.state]));
    const open = current.actions.filter((a) => a.state !== 'done' && a.state !== 'skipped');
    const runState = () => ([...states.values()].some((st) => st === 'failed') ? 'failed' : 'done');
    const { state: stateBefore, review } = current.run;
    const details = new Map<number, Detail>();
    for (const [n, a] of open.entries()) {
      const detail = parseDetail(a.detail);
      details.set(a.position, detail);
      const started = startedFirst && n === 0;
      const attempts = started ? a.attempts : a.attempts + 1;
      // The state alone: the planned items stay as written when the run started.
      const running = () => notify({ runId: a.runId, change: 'step', state: stateBefore, review, step: stepChange(a, 'running', attempts, detail) });
      if (!started) {
        repo.markActionRunning(a.runId, a.position, attempts, nowIso());
        running();
      }
      const save = () => {
        repo.updateAction({ ...a, state: 'running', attempts, detail: storedDetail(detail, a.action), updatedAt: nowIso() });
        running();
      };
      const progress = (counts?: ItemCounts) => notify({ runId: a.runId, change: 'progress', state: stateBefore, review, step: stepChange(a, 'running', attempts, detail, counts) });
      // The items' counts at the outcome (finish), for its pushed step: 10,000 items are not counted again.
      let outcomeCounts: ItemCounts | undefined;
      const finish = (known?: ItemCounts) => {
        // The counts a runner kept as it went (revoke_certificates), or one pass (as summary gives them); the first failed item.
        const counts = known ? { ...known } : summary(detail);
        const first = counts.failed > 0 ? Object.values(detail.items).find((i) => i.state === 'failed') : undefined;
        outcomeCounts = counts;
        const { total, done, failed } = counts;
        const state: RunActionRow['state'] = failed > 0 ? 'failed' : done === 0 ? 'skipped' : 'done';
        const at = nowIso();
        repo.updateAction({
          runId: a.runId, position: a.position, state, attempts, detail: storedDetail(detail, a.action),
          errorCode: first?.code ?? null, errorMessage: first ? `${failed} of ${total} failed; first: ${first.message ?? first.code}`.slice(0, 1000) : null, updatedAt: at,
        });
        const details: AuditDetails = { runId: a.runId, step: a.action, attempt: attempts, retry, items: total, done, failed, skipped: total - done - failed };
        if (first?.code) details.code = first.code;
        if (typeof detail.crlNumber === 'number') details.crlNumber = detail.crlNumber;
        if (typeof detail.caId === 'string') details.caId = detail.caId;
        if (typeof detail.sequence === 'number') details.orderSequence = detail.sequence;
        deps.audit.append({ actor: deps.session.actor(), action: 'emergency.action', targetType: null, targetId: a.runId, outcome: failed > 0 ? 'failure' : 'success', details });
        states.set(a.position, state);
        // The run's state with its last action's outcome: one commit fewer.
        if (n === open.length - 1) repo.setRunState(ctx.run.runId, runState(), at);
      };
      const committed = await RUNNERS[a.action as EmergencyAction](ctx, detail, save, finish, progress);
      if (committed !== true) deps.transaction(finish);
      // Committed: the action's outcome, and after the last one the run's.
      const last = n === open.length - 1;
      notify({ runId: a.runId, change: 'step', state: last ? runState() : stateBefore, review, step: stepChange(a, states.get(a.position)!, attempts, detail, outcomeCounts) });
    }
    if (open.length === 0) repo.setRunState(ctx.run.runId, runState(), nowIso());
    return details;
  }

  /**
   * An action's detail as stored: a CRL the action recorded (fleet_crls) is named by its CA (`crlCaId`, or revoke_ca's
   * `caId`) and number, not copied (10,000 entries are ~0.5 MB of PEM); shownDetail puts the PEM back.
   * revoke_certificates' items are packed (packItems): 10,000 of them as objects took ~15 ms to write as JSON.
   */
  function storedDetail(d: Detail, action: string): string {
    const { crlPem, crls, items, ...rest } = d;
    const out: Record<string, unknown> = rest;
    const named = typeof d.crlNumber === 'number' && (typeof d.crlCaId === 'string' || typeof d.caId === 'string');
    if (crlPem !== undefined && !named) out.crlPem = crlPem;
    if (Array.isArray(crls)) out.crls = (crls as Array<Record<string, unknown>>).map(({ pem: _pem, ...c }) => c);
    if (action === 'revoke_certificates') out.packedItems = packItems(items);
    else out.items = items;
    return JSON.stringify(out);
  }

  /** A stored detail as the channels show it: each CRL it names with its PEM (also a run stored with the PEM copied). */
  function shownDetail(text: string): Detail {
    const d = parseDetail(text);
    const caId = typeof d.crlCaId === 'string' ? d.crlCaId : typeof d.caId === 'string' ? d.caId : null;
    if (d.crlPem === undefined && caId !== null && typeof d.crlNumber === 'number') {
      const pem = deps.storedCrlPem(caId, d.crlNumber);
      if (pem !== null) d.crlPem = pem;
    }
    if (Array.isArray(d.crls)) {
      for (const c of d.crls as Array<{ caId: string; crlNumber: number; pem?: string }>) {
        if (c.pem === undefined) {
          const pem = deps.storedCrlPem(c.caId, c.crlNumber);
          if (pem !== null) c.pem = pem;
        }
      }
    }
    return d;
  }

  /** `known`: details this process holds as they were persisted (runActions'), used instead of parsing them again. */
  function view(runId: string, full = true, known?: ReadonlyMap<number, Detail>): EmergencyRunView {
    const found = repo.getRun(runId);
    if (!found) throw new ConsoleError('not_found', `No emergency run ${runId}.`);
    const { run, actions } = found;
    return {
      runId: run.runId, createdAt: run.createdAt, updatedAt: run.updatedAt, actor: run.actor, scope: JSON.parse(run.scope) as EmergencyScope,
      actions: run.actions as EmergencyAction[], reason: run.reason, robots: run.robots, state: run.state, breakGlassReason: run.breakGlassReason,
      review: run.review, reviewedBy: run.reviewedBy, reviewedAt: run.reviewedAt, reviewNote: run.reviewNote,
      origin: (JSON.parse(run.options) as RunContext['options']).origin ?? 'playbook',
      steps: actions.map((a) => ({
        position: a.position, action: a.action as EmergencyAction, state: a.state, attempts: a.attempts,
        detail: full ? (known?.get(a.position) ?? shownDetail(a.detail)) : storedSummary(a.detail),
        errorCode: a.errorCode, errorMessage: a.errorMessage, updatedAt: a.updatedAt,
      })),
    };
  }

  const contextOf = (run: RunRow): RunContext => {
    const options = JSON.parse(run.options) as RunContext['options'];
    return { run, scope: JSON.parse(run.scope) as EmergencyScope, options, lockdownFile: null };
  };

  async function issueOrder(input: LockdownOrderInput): Promise<StandaloneOrder> {
    deps.session.require();
    // Every refusal before the lockdown service reserves a sequence (a scope naming nothing or nobody, a count that
    // changed, break-glass an order does not need) is audited: one failed lockdown.order record naming no key or
    // order, with the refusal's code and message (no secret: scopes, counts, key ids), nothing signed, no number
    // used. The lockdown service audits its own refusals (the order's fields, the signing key) the same way.
    const refuse = (err: ConsoleError, extra: AuditDetails = {}): never => {
      const field: AuditDetails = typeof err.details?.field === 'string' ? { field: err.details.field } : {};
      deps.audit.append({
        actor: deps.session.actor(), action: 'lockdown.order', targetType: null, targetId: null, outcome: 'failure',
        details: { kind: input.kind, reason: input.reason, scope: JSON.stringify(input.scope).slice(0, 2000), ...extra, code: err.code, refusal: err.message.slice(0, 500), ...field, signed: false },
      });
      throw err;
    };
    const scope = orderEmergencyScope(input.scope);
    let target: { scope: OrderScope; resolvedFrom?: string } | null = { scope: input.scope as OrderScope };
    if (scope.kind === 'key' || scope.kind === 'serial') {
      try {
        checkScope(scope, filterOf(scope));
      } catch (e) {
        if (!isConsoleError(e)) throw e;
        refuse(e);
      }
      target = orderScopeFor(scope);
      const resolvedFrom = describeScope(scope);
      if (target === null) return refuse(invalid(`No robot holds ${resolvedFrom} now: an order for nobody is not signed.`, 'scope'), { resolvedFrom, resolvedRobots: 0 });
      const robots = 'deviceIds' in target.scope ? target.scope.deviceIds.length : 0;
      // The officer saw (or the CLI expected) another count: a robot got or lost the key meanwhile. Nothing is signed, no
      // number reserved; the refusal is audited with both counts.
      if (input.expectedRobots !== undefined && input.expectedRobots !== robots) {
        refuse(
          new ConsoleError(
            'illegal_transition',
            `The ${resolvedFrom} now resolves to ${robots} robot(s), not the ${input.expectedRobots} expected: nothing was signed. Check the new count and sign again.`,
            { field: 'scope', robots, expected: input.expectedRobots },
          ),
          { resolvedFrom, expectedRobots: input.expectedRobots, resolvedRobots: robots },
        );
      }
    } else if (input.expectedRobots !== undefined) {
      refuse(invalid('expectedRobots applies only to the holders of a key (version) or a certificate serial: other scopes are not resolved to robots.', 'expectedRobots'), { expectedRobots: input.expectedRobots });
    }
    const { kind, breakGlass, reason, scope: _named, expectedRobots: _shown, ...settings } = input;
    const order = orderInputOf({ ...settings, kind }, reason, target);
    if (!breakGlass) {
      const issued = await deps.lockdown.issue(order);
      return { fileName: orderFileName(issued.order), content: issued.file.toString('base64'), row: issued.row, runId: null };
    }
    if (!isWideOrder(input)) {
      refuse(invalid(kind === 'lift' ? 'A lift order never needs approval: issue it without break-glass.' : `An order for ${describeScope(scope)} needs no approval: issue it without break-glass.`, 'breakGlass'), { breakGlass: true });
    }
    // A bad order raises no alert and opens no run: the lockdown service's checks first (audited there), then the
    // playbook's break-glass path with the lockdown action alone (its audit, alert, review and retry).
    await deps.lockdown.check(order);
    const { keyId, mode, wipeKeys, distrustCaIds, actions, message, validForSeconds } = settings;
    const lockdownSettings = { actions, message, validForSeconds, ...(mode ? { mode } : {}), ...(wipeKeys ? { wipeKeys } : {}), ...(distrustCaIds ? { distrustCaIds } : {}), ...(keyId ? { keyId } : {}) };
    const out = await executeRun({ scope, actions: ['lockdown'], reason, lockdown: lockdownSettings, breakGlass }, undefined, 'order');
    const run = out.run!;
    const step = run.steps[0]!;
    const sequence = step.detail.sequence;
    const row = typeof sequence === 'number' ? deps.lockdown.get(sequence) : null;
    if (step.state !== 'done' || out.lockdownFile === null || row === null) {
      const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(step.errorCode ?? '') ? (step.errorCode as ErrorCode) : 'internal';
      throw new ConsoleError(code, `Break-glass run ${run.runId} is recorded (CRITICAL alert raised, review pending) but the order was not signed: ${step.errorMessage ?? 'nothing to sign'}. Retry the run on the Emergency screen.`, { runId: run.runId });
    }
    return { ...out.lockdownFile, row, runId: run.runId };
  }

  /** `origin` order: a lockdown order issued on its own with break-glass (issueOrder), marked so in the run's options. */
  async function executeRun(input: ExecuteInput, approvedRequestId: string | undefined, origin: 'playbook' | 'order'): Promise<ExecuteResult> {
    deps.session.require();
    const actor = deps.session.actor();
    const actions = EMERGENCY_ACTIONS.filter((a) => input.actions.includes(a));
    const base: AuditDetails = { scope: JSON.stringify(input.scope).slice(0, 2000), actions: actions.join(','), reason: input.reason };
    const refuse = (err: ConsoleError): never => {
      deps.audit.append({ actor, action: 'emergency.execute', targetType: null, targetId: null, outcome: 'failure', details: { ...base, code: err.code } });
      throw err;
    };
    let p: EmergencyPreview;
    try {
      p = preview(input.scope, undefined, input.caId);
    } catch (e) {
      return refuse(isConsoleError(e) ? e : new ConsoleError('internal', 'The emergency preview failed unexpectedly.'));
    }
    const revokesCa = actions.includes('revoke_ca');
    const counts = {
      robots: p.robots.total, certificates: p.certificates.total, keysToCompromise: p.keys.filter((k) => k.plan === 'compromise').length, keysToRotate: p.outside.sharedKeys,
      ...(revokesCa && p.ca ? { caId: p.ca.caId, caCertificates: p.ca.certificates, caRobots: p.ca.robots } : {}),
    };
    const wide = isWidePlaybook({ scope: input.scope, actions, ...(input.lockdown ? { lockdown: input.lockdown } : {}) });
    const distrusts = actions.includes('lockdown') && (input.lockdown?.actions ?? []).includes('distrust_ca');
    if (input.dryRun) {
      deps.audit.append({ actor, action: 'emergency.execute', targetType: null, targetId: null, outcome: 'success', details: { ...base, dryRun: true, ...counts } });
      return { dryRun: true, preview: p, run: null, lockdownFile: null };
    }
    // The console's guard turns a wide run into an approval request before it gets here; reaching the service without
    // an approved request or break-glass (a direct caller) is refused the same way.
    if (wide && !input.breakGlass && approvedRequestId === undefined) {
      refuse(new ConsoleError('approval_required', `${revokesCa ? 'Revoking the fleet CA' : distrusts ? 'Stopping robots trusting a fleet CA' : `Acting on ${describeScope(input.scope)}`} needs two-person approval (a second security officer approves it under Approvals), or break glass with a reason (it takes effect at once, raises a CRITICAL alert and must be reviewed by a second security officer).`, { scope: input.scope.kind }));
    }
    if (revokesCa && p.ca === null) refuse(new ConsoleError('not_initialized', 'There is no fleet CA to revoke; nothing was done.'));
    if (revokesCa && p.ca?.state === 'compromised') refuse(new ConsoleError('illegal_transition', `Fleet CA ${p.ca.caId} was revoked already; nothing was done.`, { from: 'compromised', to: 'compromised' }));
    if (p.robots.total === 0 && input.scope.kind !== 'key') refuse(invalid(`The scope (${describeScope(input.scope)}) names no robot; nothing was done.`, 'scope'));
    const at = nowIso();
    const runId = randomUUID();
    const options = {
      certificateReason: input.certificateReason ?? 'keyCompromise',
      lockdown: input.lockdown ?? { actions: ['stop_operating'], message: input.reason, validForSeconds: DEFAULT_LOCKDOWN_SECONDS },
      ...(origin === 'order' ? { origin } : {}),
    };
    const breakGlass = wide ? (input.breakGlass?.reason ?? null) : null;
    const run: RunRow = {
      runId, createdAt: at, updatedAt: at, actor, scope: JSON.stringify(input.scope), actions, reason: input.reason, options: JSON.stringify(options),
      robots: p.robots.total, state: 'running', breakGlassReason: breakGlass, review: breakGlass ? 'needs_review' : 'not_needed', reviewedBy: null, reviewedAt: null, reviewNote: null,
    };
    // The first action is stored running (its first attempt): no commit of its own to mark it.
    const rows: RunActionRow[] = actions.map((action, position) => ({
      runId, position, action, state: position === 0 ? 'running' : 'pending', attempts: position === 0 ? 1 : 0, detail: JSON.stringify(plannedItems(action, p)),
      errorCode: null, errorMessage: null, updatedAt: at,
    }));
    deps.transaction(() => {
      repo.insertRun(run, rows);
      deps.audit.append({ actor, action: 'emergency.execute', targetType: null, targetId: runId, outcome: 'success', details: { ...base, dryRun: false, ...counts, ...(origin === 'order' ? { origin } : {}), ...(breakGlass ? { breakGlass } : {}), ...(approvedRequestId && !breakGlass ? { approvalRequestId: approvedRequestId } : {}) } });
    });
    notify({ runId, change: 'started', state: 'running', review: run.review, step: rows[0] ? stepChange(rows[0], 'running', 1, JSON.parse(rows[0].detail) as Detail) : null });
    if (breakGlass) {
      try {
        deps.raiseAlert(breakGlassAlert(runId, actor, describeScope(input.scope), breakGlass));
      } catch (e) {
        deps.logger.error('raising the break-glass alert failed', { runId, code: errorOf(e).code });
      }
    }
    const ctx: RunContext = { ...contextOf(run), options };
    inProgress.add(runId);
    let details: Map<number, Detail>;
    try {
      details = await runActions(ctx, false, true);
    } finally {
      inProgress.delete(runId);
    }
    return { dryRun: false, preview: p, run: view(runId, true, details), lockdownFile: ctx.lockdownFile };
  }

  function auditCliRefusal(op: CliRefusedOperation, err: ConsoleError): void {
    deps.session.require();
    const why: AuditDetails = {
      code: err.code, refusal: err.message.slice(0, 500), ...(typeof err.details?.field === 'string' ? { field: err.details.field } : {}), refusedBy: 'cli',
    };
    const record = (action: string, targetId: string | null, details: AuditDetails) =>
      deps.audit.append({ actor: deps.session.actor(), action, targetType: null, targetId, outcome: 'failure', details: { ...details, ...why } });
    switch (op.action) {
      case 'lockdown.order':
        return void record(op.action, null, { kind: op.kind, reason: op.reason, scope: JSON.stringify(op.scope).slice(0, 2000), signed: false });
      case 'emergency.execute':
        return void record(op.action, null, { scope: JSON.stringify(op.scope).slice(0, 2000), actions: EMERGENCY_ACTIONS.filter((a) => op.actions.includes(a)).join(','), reason: op.reason, dryRun: op.dryRun });
      case 'emergency.retry': {
        const pending = repo.getRun(op.runId)?.actions.filter((a) => a.state !== 'done' && a.state !== 'skipped');
        return void record(op.action, op.runId, pending ? { actions: pending.map((a) => a.action).join(',') } : {});
      }
    }
  }

  return {
    preview,
    execute: (input, approvedRequestId) => executeRun(input, approvedRequestId, 'playbook'),
    issueOrder,
    auditCliRefusal,
    async retry(runId) {
      deps.session.require();
      const found = repo.getRun(runId);
      if (!found) throw new ConsoleError('not_found', `No emergency run ${runId}.`);
      const pending = found.actions.filter((a) => a.state !== 'done' && a.state !== 'skipped');
      const busy = inProgress.has(runId);
      const audit = (code: ErrorCode | null) =>
        deps.audit.append({ actor: deps.session.actor(), action: 'emergency.retry', targetType: null, targetId: runId, outcome: code ? 'failure' : 'success', details: { actions: pending.map((a) => a.action).join(','), ...(code ? { code } : {}) } });
      if (pending.length === 0 || busy) {
        audit('illegal_transition');
        throw new ConsoleError('illegal_transition', busy ? `Emergency run ${runId} is being worked on already; wait for it to finish.` : `Every action of emergency run ${runId} is done; there is nothing to retry.`);
      }
      // The run is running again until the retry ends (stored with the retry's record, and pushed), then done or failed.
      inProgress.add(runId);
      try {
        deps.transaction(() => {
          audit(null);
          repo.setRunState(runId, 'running', nowIso());
        });
        notify({ runId, change: 'retried', state: 'running', review: found.run.review, step: null });
        const ctx = contextOf({ ...found.run, state: 'running' });
        try {
          const details = await runActions(ctx, true);
          return { run: view(runId, true, details), lockdownFile: ctx.lockdownFile };
        } catch (e) {
          // Failed outside the actions' own handling: the run is not left running.
          if (repo.getRun(runId)?.run.state === 'running') {
            repo.setRunState(runId, 'failed', nowIso());
            notify({ runId, change: 'retried', state: 'failed', review: found.run.review, step: null });
          }
          throw e;
        }
      } finally {
        inProgress.delete(runId);
      }
    },
    runs(limit, needsReview) {
      deps.session.require();
      return repo.listRuns(limit, needsReview ? 'needs_review' : undefined).map((r) => view(r.runId, false));
    },
    run(runId) {
      deps.session.require();
      return view(runId);
    },
    review(runId, note) {
      deps.session.require();
      const actor = deps.session.actor();
      const found = repo.getRun(runId);
      const fail = (err: ConsoleError): never => {
        deps.audit.append({ actor, action: 'emergency.review', targetType: null, targetId: runId, outcome: 'failure', details: { code: err.code } });
        throw err;
      };
      if (!found) return fail(new ConsoleError('not_found', `No emergency run ${runId}.`));
      if (found.run.review !== 'needs_review') return fail(new ConsoleError('illegal_transition', `Emergency run ${runId} needs no review (${found.run.review}).`));
      if (found.run.actor === actor) return fail(new ConsoleError('forbidden', `${actor} ran this break-glass run; a different security officer must review it.`));
      // The update is conditional (the run still needs review). Should it change nothing (the run reviewed since it was
      // read), the refusal is audited like the checks above: nothing was written, so there is nothing to roll back.
      const reviewed = deps.transaction(() => {
        if (!repo.review(runId, actor, nowIso(), note)) return false;
        deps.audit.append({ actor, action: 'emergency.review', targetType: null, targetId: runId, outcome: 'success', details: { ranBy: found.run.actor, note } });
        return true;
      });
      if (!reviewed) return fail(new ConsoleError('illegal_transition', `Emergency run ${runId} was reviewed meanwhile.`));
      notify({ runId, change: 'reviewed', state: found.run.state, review: 'reviewed', step: null });
      return view(runId);
    },
  };
}
