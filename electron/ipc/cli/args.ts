// Command-line parsing for the CLI: global options, the command word(s), per-command options. Usage mistakes are
// UsageError (exit 2); everything else goes through the router and its typed errors (exit 1).
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { KEY_USAGE_PAGE } from '../../../shared/fleetContract.ts';
import { BATCH_ITEM_STATES } from '../../../shared/rotationBatchContract.ts';
import { SECRET_FIELDS } from '../../providers/config/schema.ts';

/** The --order form of an incident kit's distrust order: `distrust-ca:current` or `distrust-ca:<CA id>` (kitCli.ts resolves it). */
export const DISTRUST_CA_SPEC = /^distrust-ca:(current|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const COMMANDS = [
  'serve', 'init', 'unlock', 'keys list', 'keys create', 'keys rotate', 'keys state',
  'encrypt', 'decrypt', 'audit verify', 'audit export', 'provision', 'bundle', 'distribute',
  'key-assignments', 'assign-key', 'unassign-key', 'key-usage',
  'rotation status', 'rotation run-due', 'rotation jobs', 'rotation policy', 'rotation drift', 'rotation batch', 'rotation rollout', 'report', 'scheduler', 'field', 'help',
  'emergency preview', 'emergency execute', 'emergency retry', 'lockdown order', 'lockdown lift',
  'operators list', 'operators add', 'operators remove', 'operators role', 'operators idle-time', 'operators reset-factor', 'operators recovery-codes',
  'operators totp', 'operators token',
  'approvals list', 'approvals policy', 'approvals approve', 'approvals deny', 'approvals execute', 'approvals export', 'approvals import', 'approvals enrol',
  'approvals revoke-key', 'approvals revoked-keys', 'approvals keys', 'approvals keygen', 'approvals sign',
  'backup', 'restore', 'recovery shares', 'recovery recover',
  'kit export', 'kit import', 'kit status', 'kit robots', 'kit use',
  'ca history', 'ca replace', 'ca revoke', 'ca crl',
  'providers list', 'providers test', 'providers health', 'providers save', 'providers remove', 'providers slots', 'keys verify-integrity',
  'keys sign', 'keys verify', 'keys backup', 'keys verify-backup', 'keys migrate',
] as const;
/** Commands that run without the key store (an approver's own workstation): they never open a data folder. */
export const OFFLINE_COMMANDS: readonly CommandName[] = ['approvals keygen', 'approvals sign'];
export type CommandName = (typeof COMMANDS)[number];
/** Commands of the offline console on an incident kit (docs/incident-kit.md): no store, no provider, no network. */
export const KIT_OFFLINE_COMMANDS: readonly CommandName[] = ['kit status', 'kit robots', 'kit use'];

const OPTIONS = {
  'data-dir': { type: 'string' },
  operator: { type: 'string' },
  totp: { type: 'string' },
  'recovery-code': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  port: { type: 'string' },
  type: { type: 'string' },
  label: { type: 'string' },
  algorithm: { type: 'string' },
  reason: { type: 'string' },
  role: { type: 'string' },
  key: { type: 'string' },
  in: { type: 'string' },
  out: { type: 'string' },
  aad: { type: 'string' },
  force: { type: 'boolean' },
  days: { type: 'string' },
  'device-id': { type: 'string' },
  'ca-cert-out': { type: 'string' },
  'kms-config': { type: 'string' },
  'storage-path': { type: 'string' },
  'allow-reprovision': { type: 'boolean' },
  // ca crl --published: the last published CRL (ca:publishedCrl, every reader) instead of signing a fresh one.
  published: { type: 'boolean' },
  site: { type: 'string' },
  version: { type: 'string' },
  all: { type: 'boolean' },
  policy: { type: 'string' },
  limit: { type: 'string' },
  // rotation batch status ID: a page of the job's keys in one outcome, after a cursor (docs/cli.md).
  outcome: { type: 'string' },
  after: { type: 'string' },
  listen: { type: 'string' },
  'certificate-days': { type: 'string' },
  'at-unlock': { type: 'boolean' },
  keys: { type: 'string' },
  concurrency: { type: 'string' },
  'max-attempts': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  format: { type: 'string' },
  // A rollout policy's fields (rotation rollout policy set; docs/rotation.md, "Rollout to robots").
  'canary-percent': { type: 'string' },
  'canary-robots': { type: 'string' },
  'canary-sites': { type: 'string' },
  'max-failure-ratio': { type: 'string' },
  'grace-versions': { type: 'string' },
  'grace-seconds': { type: 'string' },
  // Emergency response (docs/emergency-response.md): the scope, the playbook's actions, the lockdown order's settings.
  robot: { type: 'string', multiple: true },
  model: { type: 'string' },
  firmware: { type: 'string' },
  tag: { type: 'string' },
  serial: { type: 'string' },
  fleet: { type: 'boolean' },
  'compromise-keys': { type: 'boolean' },
  'revoke-certs': { type: 'boolean' },
  'revoke-ca': { type: 'boolean' },
  quarantine: { type: 'boolean' },
  'rotate-shared': { type: 'boolean' },
  lockdown: { type: 'boolean' },
  'cert-reason': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'break-glass': { type: 'string' },
  message: { type: 'string' },
  'order-actions': { type: 'string' },
  // A fleet CA robots stop trusting (repeatable): adds distrust_ca to the order's actions (docs/lockdown-orders.md).
  'distrust-ca': { type: 'string', multiple: true },
  'valid-for': { type: 'string' },
  'expect-robots': { type: 'string' },
  mode: { type: 'string' },
  k: { type: 'string' },
  custodian: { type: 'string', multiple: true },
  shares: { type: 'string' },
  'out-dir': { type: 'string' },
  // Incident kits: a pre-authorised order's scope (repeatable), its uses, the kit folder offline.
  order: { type: 'string', multiple: true },
  'max-uses': { type: 'string' },
  kit: { type: 'string' },
  // The fleet CA (docs/fleet-ca.md, "Replacing and revoking the CA"): which CA, a new CA's name and provider.
  'ca-id': { type: 'string' },
  'common-name': { type: 'string' },
  provider: { type: 'string' },
  // An approval policy's fields (approvals policy set; docs/two-person-control.md, "Policies").
  m: { type: 'string' },
  eligible: { type: 'string' },
  'eligible-operators': { type: 'string' },
  ttl: { type: 'string' },
  // The signed-in operator's own second factor (operators totp / operators token; docs/operators.md).
  code: { type: 'string' },
  module: { type: 'string' },
  'token-label': { type: 'string' },
  'key-label': { type: 'string' },
  // providers save: the configuration (with its secrets) comes from a file, never from argv (docs/cli.md).
  config: { type: 'string' },
  // keys verify: the signature file (raw bytes, as keys sign writes it).
  sig: { type: 'string' },
} as const;
type OptionName = keyof typeof OPTIONS;
/** Strings, flags, and for the repeatable options (--robot, --distrust-ca, ...) a list. */
type OptionValues = Partial<Record<OptionName, string | boolean | string[]>>;

/** The options of `rotation rollout policy set`: a rollout policy's fields. */
export const ROLLOUT_POLICY_OPTIONS = ['canary-percent', 'canary-robots', 'canary-sites', 'max-failure-ratio', 'grace-versions', 'grace-seconds'] as const;
/** The options of `approvals policy set`: an approval policy's fields. */
export const APPROVAL_POLICY_OPTIONS = ['m', 'eligible', 'eligible-operators', 'ttl'] as const;
const GLOBAL: readonly OptionName[] = ['data-dir', 'operator', 'totp', 'recovery-code', 'json', 'help'];

interface CommandSpec {
  options: readonly OptionName[];
  required: readonly OptionName[];
  args: readonly string[];
  /** Exactly one of these options must be given (the scope of a key assignment: a robot or a site). */
  oneOf?: readonly OptionName[];
}

const SCOPE: readonly OptionName[] = ['device-id', 'site'];
/** The scope of an emergency playbook or a lockdown order (exactly one); an order resolves --key and --serial to robots. */
export const EMERGENCY_SCOPE: readonly OptionName[] = ['robot', 'site', 'model', 'firmware', 'tag', 'key', 'serial', 'fleet'];
export const PLAYBOOK_ACTIONS: readonly OptionName[] = ['compromise-keys', 'revoke-certs', 'revoke-ca', 'quarantine', 'rotate-shared', 'lockdown'];
const ORDER_OPTIONS: readonly OptionName[] = [...EMERGENCY_SCOPE, 'reason', 'message', 'valid-for', 'mode', 'expect-robots', 'out', 'force'];
const PER_COMMAND: Readonly<Record<CommandName, CommandSpec>> = {
  serve: { options: ['port', 'kit'], required: [], args: [] },
  init: { options: [], required: [], args: [] },
  unlock: { options: [], required: [], args: [] },
  'keys list': { options: ['type'], required: [], args: [] },
  'keys create': { options: ['type', 'label', 'algorithm'], required: ['type', 'label'], args: [] },
  'keys rotate': { options: [], required: [], args: ['ID'] },
  'keys state': { options: ['reason'], required: ['reason'], args: ['ID', 'STATE'] },
  encrypt: { options: ['key', 'in', 'out', 'aad', 'force'], required: ['key', 'in', 'out'], args: [] },
  decrypt: { options: ['in', 'out', 'aad', 'force'], required: ['in', 'out'], args: [] },
  'audit verify': { options: [], required: [], args: [] },
  'audit export': { options: ['out', 'force'], required: ['out'], args: [] },
  provision: { options: ['device-id', 'port', 'ca-cert-out', 'kms-config', 'storage-path', 'allow-reprovision'], required: ['device-id', 'port'], args: [] },
  bundle: { options: ['device-id', 'out', 'force'], required: ['device-id', 'out'], args: [] },
  distribute: { options: ['device-id', 'port'], required: ['device-id', 'port'], args: [] },
  'key-assignments': { options: SCOPE, required: [], args: [], oneOf: SCOPE },
  'assign-key': { options: [...SCOPE, 'type', 'key'], required: ['type', 'key'], args: [], oneOf: SCOPE },
  'unassign-key': { options: [...SCOPE, 'type'], required: ['type'], args: [], oneOf: SCOPE },
  'key-usage': { options: ['key', 'version', 'all'], required: ['key'], args: [] },
  'rotation status': { options: [], required: [], args: [] },
  'rotation run-due': { options: [], required: [], args: [] },
  'rotation jobs': { options: ['key', 'limit'], required: [], args: [] },
  // rotation policy get|set (--type T | --key ID) [--policy FILE.json]: the verb is its argument.
  'rotation policy': { options: ['type', 'key', 'policy'], required: [], args: ['get|set'], oneOf: ['type', 'key'] },
  'rotation drift': { options: ['key'], required: [], args: [] },
  // rotation batch start (--keys ID,ID | --type T | --site NAME) [--concurrency N] [--max-attempts N]
  //   | status [--limit N] | status ID [--outcome STATE] [--limit N] [--after CURSOR | --all] | cancel ID | resume
  'rotation batch': { options: ['keys', 'type', 'site', 'concurrency', 'max-attempts', 'limit', 'outcome', 'after', 'all'], required: [], args: ['start|status|cancel|resume', '[ID]'] },
  // rotation rollout list [--key ID] [--limit N] | halt ID --reason TEXT | resume ID [--reason TEXT]
  //   | policy [set|clear] [--key ID] [--canary-percent N ...]
  //   | versions KEY | retire KEY VERSION [--force --reason TEXT] | reinstate KEY VERSION --reason TEXT --days N
  'rotation rollout': {
    options: ['key', 'limit', 'reason', 'force', 'days', ...ROLLOUT_POLICY_OPTIONS],
    required: [],
    args: ['list|halt|resume|policy|versions|retire|reinstate', '[ID|KEY|set|clear]', '[VERSION]'],
  },
  report: { options: ['from', 'to', 'format', 'out', 'force'], required: ['from', 'to', 'out'], args: [] },
  scheduler: { options: [], required: [], args: [] },
  field: { options: ['listen', 'certificate-days', 'at-unlock'], required: [], args: [] },
  'operators list': { options: [], required: [], args: [] },
  'operators add': { options: ['role'], required: ['role'], args: ['NAME'] },
  'operators remove': { options: [], required: [], args: ['NAME'] },
  'operators role': { options: ['role'], required: ['role'], args: ['NAME'] },
  // operators idle-time get | set MINUTES
  'operators idle-time': { options: [], required: [], args: ['get|set', '[MINUTES]'] },
  'operators reset-factor': { options: [], required: [], args: ['NAME'] },
  // operators recovery-codes regenerate
  'operators recovery-codes': { options: [], required: [], args: ['regenerate'] },
  // operators totp enrol | confirm --code NNNNNN
  'operators totp': { options: ['code'], required: [], args: ['enrol|confirm'] },
  // operators token slots --module PATH | bind --module PATH --token-label L --key-label K (the PIN: ECPS_TOKEN_PIN or the prompt)
  'operators token': { options: ['module', 'token-label', 'key-label'], required: ['module'], args: ['slots|bind'] },
  // approvals policy list | set ACTION [--m M] [--eligible ROLE,..] [--eligible-operators NAME,..] [--ttl SECONDS]
  'approvals policy': { options: APPROVAL_POLICY_OPTIONS, required: [], args: ['list|set', '[ACTION]'] },
  'approvals list': { options: ['all', 'limit'], required: [], args: [] },
  'approvals approve': { options: [], required: [], args: ['ID'] },
  'approvals deny': { options: ['reason'], required: ['reason'], args: ['ID'] },
  'approvals execute': { options: ['out-dir'], required: [], args: ['ID'] },
  'approvals export': { options: ['out', 'force'], required: ['out'], args: ['ID'] },
  'approvals import': { options: ['in'], required: ['in'], args: [] },
  'approvals enrol': { options: ['in'], required: ['in'], args: [] },
  'approvals revoke-key': { options: ['reason'], required: ['reason'], args: ['OPERATOR'] },
  'approvals revoked-keys': { options: ['limit', 'after', 'all'], required: [], args: [] },
  'approvals keys': { options: ['limit', 'after', 'all'], required: [], args: [] },
  'approvals keygen': { options: ['out', 'force'], required: ['out'], args: [] },
  'approvals sign': { options: ['in', 'key', 'out', 'force'], required: ['in', 'key', 'out'], args: [] },
  backup: { options: ['out', 'k', 'custodian', 'out-dir'], required: ['out'], args: [] },
  'kit export': { options: ['out', 'order', 'reason', 'message', 'order-actions', 'max-uses', 'valid-for'], required: ['out', 'order', 'reason'], args: [] },
  'kit import': { options: [], required: [], args: ['DIR'] },
  'kit status': { options: ['kit'], required: ['kit'], args: [] },
  'kit robots': { options: ['kit'], required: ['kit'], args: [] },
  'kit use': { options: ['kit', 'reason', 'out', 'force'], required: ['kit', 'reason'], args: ['ORDER'] },
  restore: { options: ['from', 'shares'], required: ['from', 'data-dir'], args: [] },
  'recovery shares': { options: ['k', 'custodian', 'out-dir'], required: ['k'], args: [] },
  'recovery recover': { options: ['shares'], required: ['shares'], args: [] },
  help: { options: [], required: [], args: [] },
  'emergency preview': { options: [...EMERGENCY_SCOPE, 'limit', 'ca-id'], required: [], args: [] },
  'emergency execute': {
    options: [...EMERGENCY_SCOPE, ...PLAYBOOK_ACTIONS, 'ca-id', 'reason', 'cert-reason', 'dry-run', 'break-glass', 'message', 'order-actions', 'distrust-ca', 'valid-for', 'mode', 'out', 'force'],
    required: ['reason'],
    args: [],
  },
  'emergency retry': { options: ['out', 'force'], required: [], args: ['RUN-ID'] },
  'lockdown order': { options: [...ORDER_OPTIONS, 'order-actions', 'distrust-ca', 'break-glass'], required: ['reason', 'out'], args: [] },
  'lockdown lift': { options: ORDER_OPTIONS, required: ['reason', 'out'], args: [] },
  'ca history': { options: [], required: [], args: [] },
  'ca replace': { options: ['algorithm', 'common-name', 'provider', 'reason'], required: ['common-name', 'reason'], args: [] },
  'ca revoke': { options: ['ca-id', 'reason'], required: ['reason'], args: [] },
  'ca crl': { options: ['ca-id', 'out', 'force', 'published'], required: ['out'], args: [] },
  'providers list': { options: [], required: [], args: [] },
  'providers test': { options: [], required: [], args: ['ID'] },
  'providers health': { options: [], required: [], args: [] },
  'providers save': { options: ['config'], required: ['config'], args: [] },
  'providers remove': { options: [], required: [], args: ['ID'] },
  // providers slots --module PATH: the slots and tokens of a PKCS#11 module, to write a pkcs11 provider's file (admin).
  'providers slots': { options: ['module'], required: ['module'], args: [] },
  'keys verify-integrity': { options: [], required: [], args: ['ID'] },
  'keys sign': { options: ['in', 'out', 'force'], required: ['in', 'out'], args: ['ID'] },
  'keys verify': { options: ['in', 'sig', 'version'], required: ['in', 'sig'], args: ['ID'] },
  // keys backup|migrate --provider P (KEY-ID ... | --all): the keys named, or with --all every key the channel takes.
  'keys backup': { options: ['provider', 'all'], required: ['provider'], args: ['KEY-ID ...|--all'] },
  'keys verify-backup': { options: ['provider'], required: ['provider'], args: [] },
  'keys migrate': { options: ['provider', 'all'], required: ['provider'], args: ['KEY-ID ...|--all'] },
};

export const USAGE = `Usage: ecps-console <command> [options]     (npm run cli -- <command>, node electron/cli.ts <command>)

Commands:
  serve [--port N]                              browser host on 127.0.0.1 (prints its URL with the access token)
  serve --kit DIR [--port N]                    (offline, no store) the offline console on an incident kit in the window
  init                                          create the key store, its first operator an admin (asks for their passphrase)
  unlock                                        sign in as the operator (checks their passphrase)
  keys list [--type T]                          list keys
  keys create --type T --label L [--algorithm A]
  keys rotate ID                                add a new key version
  keys state ID STATE --reason R                change the lifecycle state
  keys verify-integrity ID                      checks every version of the key (its material, or what its provider
                                                holds); exit 1 with integrity_failure when one fails
  keys sign ID --in FILE --out SIGFILE [--force]
                                                signs FILE (at most 1 MiB) with the key's current version; SIGFILE
                                                holds the raw signature
  keys verify ID --in FILE --sig SIGFILE [--version N]
                                                exit 0 when the signature verifies (under version N, default the
                                                current one), exit 1 with signature_invalid when it does not
  keys backup --provider P (KEY-ID ... | --all) wraps the local keys' material under a key of provider P
  keys verify-backup --provider P               unwraps every backed-up version from P and compares it with the
                                                store; exit 1 with integrity_failure when one differs
  keys migrate --provider P (KEY-ID ... | --all)
                                                moves local encryption keys to P (their next version lives there);
                                                exit 1 with the failure's code when a key was not moved
  encrypt --key ID --in FILE --out FILE [--aad TEXT] [--force]
  decrypt --in FILE --out FILE [--aad TEXT] [--force]
  audit verify                                  check the hash chain and checkpoints
  audit export --out FILE [--force]
  bundle --device-id ID --out FILE [--force]      a signed key bundle for a provisioned robot (USB stick)
  distribute --device-id ID --port PATH           the robot's next key bundle over one serial port (installed and
                                                confirmed by the robot)
  provision --device-id ID --port PATH [--ca-cert-out FILE] [--kms-config FILE.json] [--storage-path DIR] [--allow-reprovision]
                                                provision_robot_with_kms: one robot on one serial port (creates the
                                                fleet CA on first use, in the --kms-config provider or 'local')
  key-assignments (--device-id ID | --site NAME)
                                                a robot's effective communication and storage keys and where they come
                                                from, or a site's assignments and its robot count
  assign-key (--device-id ID | --site NAME) --type communication|storage --key ID
                                                assign a key to one robot or to every robot of a site
  unassign-key (--device-id ID | --site NAME) --type communication|storage
                                                clear that assignment (the robot falls back to its site's key, or to
                                                the newest unassigned key)
  key-usage --key ID [--version N] [--all]      which robots hold which version of a key (first ${KEY_USAGE_PAGE} holders;
                                                --all lists every one) and where the key is assigned
  rotation status                               the scheduler: paused, locked, rotations waiting, next due, and every
                                                planned rotation with its due time
  rotation run-due                              one scheduler pass now: runs the rotations that are due (windows respected)
  rotation jobs [--key ID] [--limit N]          rotation job history, most recent first (default 50)
  rotation policy get (--type T | --key ID)     the policy in force (and where it comes from)
  rotation policy set (--type T | --key ID) --policy FILE.json
                                                set a policy (docs/rotation.md); with --key and a file holding null, the
                                                key's own policy is removed; with --key, "driver": "provider" lets the
                                                key's provider rotate it (set and read back at the provider)
  rotation drift [--key ID]                     compare the providers' key versions with the console's; a version the
                                                console did not make is recorded (rotation.drift_detected) and adopted
  rotation batch start (--keys ID,ID,... | --type T | --site NAME) [--concurrency N] [--max-attempts N]
                                                a batch rotation job (docs/rotation.md): rotates the keys N at a time
                                                (default 4, at most 64), retrying provider outages; waits until it ends
                                                (progress on stderr), prints its summary and first 100 failed keys
  rotation batch status [--limit N]             the recent jobs (default 50)
  rotation batch status ID [--outcome STATE] [--limit N] [--after CURSOR | --all]
                                                one job's summary and a page of its keys' results (default 100, at
                                                most 500; STATE pending|rotating|done|failed|superseded|cancelled);
                                                prints the cursor of the next page; --all prints every page
  rotation batch cancel ID                      cancels a job's keys not yet rotating
  rotation batch resume                         runs the jobs a killed or locked console left unfinished (prints
                                                each as start does)
  rotation rollout list [--key ID] [--limit N]  rollouts of new key versions to robots, with their waves' progress
  rotation rollout halt ID --reason TEXT        stops a running rollout (robots not yet installed keep their version)
  rotation rollout resume ID [--reason TEXT]    resumes a halted rollout (its failed robots are due again)
  rotation rollout versions KEY                 a key's versions: current, in grace, grace ended, retired, holders
  rotation rollout retire KEY VERSION [--force --reason TEXT]
                                                retires a previous version: never delivered again, no longer decrypts
  rotation rollout reinstate KEY VERSION --reason TEXT --days N
                                                a retired version decrypts again for N days (1-90), to re-encrypt data
  rotation rollout policy [--key ID]            the rollout policy in force (the default, or a key's own)
  rotation rollout policy set [--key ID] [--canary-percent N] [--canary-robots ID,..] [--canary-sites S,..]
      [--max-failure-ratio R] [--grace-versions N] [--grace-seconds N]
                                                changes the given fields of the default policy or of a key's own
  rotation rollout policy clear [--key ID]      removes a key's own policy (or the default: back to the built-in one)
  report --from DATE --to DATE [--format pdf|csv] --out FILE [--force]
                                                the signed compliance report of a period (docs/compliance-report.md):
                                                writes FILE, FILE.sig (detached Ed25519 signature by the audit key) and
                                                FILE.audit-key.pem (the key that verifies it); default format pdf
  scheduler                                     headless scheduler for stations and servers: unlocks, then runs a pass
                                                every minute until SIGINT / SIGTERM
  field [--listen HOST:PORT [--certificate-days N] [--at-unlock]]
                                                headless field link (docs/field-link.md): unlocks, then serves robots
                                                polling over mutual TLS until SIGINT / SIGTERM; without --listen on the
                                                stored "start at unlock" address; --at-unlock stores this address as
                                                that setting (the window, serve and scheduler then start it at unlock)
  emergency preview SCOPE [--limit N] [--ca-id ID]
                                                the blast radius (docs/emergency-response.md): robots, certificates,
                                                keys, reach, providers, what keeps working outside the scope
  emergency execute SCOPE ACTIONS --reason TEXT [--cert-reason R] [--ca-id ID] [--dry-run] [--break-glass REASON]
                    [--message TEXT] [--order-actions LIST] [--distrust-ca CAID]... [--valid-for SECONDS] [--mode M]
                    [--out FILE]
                                                runs the playbook; exit 1 when any action failed (retry it)
  emergency retry RUN-ID [--out FILE]           runs again what failed in a playbook run
  lockdown order SCOPE --reason TEXT --out FILE [--message TEXT] [--order-actions LIST] [--distrust-ca CAID]...
                 [--valid-for SECONDS] [--mode M] [--break-glass REASON] [--expect-robots N]
  lockdown lift SCOPE --reason TEXT --out FILE [--message TEXT] [--valid-for SECONDS] [--expect-robots N]
                                                a signed lockdown (or lift) order file for a USB stick; --key and
                                                --serial name the robots holding them when it is signed;
                                                --expect-robots N (with --key or --serial): sign only if they are
                                                N robots, else nothing is signed (audited) and the exit code is 1;
                                                --distrust-ca CAID (repeatable, ids as ca history lists them) adds
                                                distrust_ca: robots stop trusting that fleet CA for good (needs
                                                two-person approval or --break-glass whatever the scope)
      SCOPE: --robot ID (repeatable) | --site NAME | --model NAME | --firmware VERSION | --tag TAG
             | --key ID[:VERSION] | --serial HEX | --fleet
      ACTIONS: --compromise-keys --revoke-certs --revoke-ca --quarantine --rotate-shared --lockdown (at least one;
               --revoke-ca revokes the current fleet CA, or --ca-id's (a retired one), whatever the scope:
               two-person approval or break-glass)
  ca history                                    every fleet CA (current, retired, compromised) with its dates and
                                                certificate counts, and the robots needing a current-CA certificate
  ca replace --common-name CN --reason TEXT [--algorithm EC_P256|RSA_2048] [--provider ID]
                                                a new fleet CA (guarded: answers with the approval request; the old
                                                CA is retired and its robots flagged; docs/fleet-ca.md)
  ca revoke [--ca-id ID] --reason TEXT          revokes a compromised CA, the current one or a retired one (guarded)
  ca crl [--ca-id ID] --out FILE [--force]      a fresh CRL of the current CA, or of another CA by id (PEM)
  ca crl --published [--ca-id ID] --out FILE    the last published CRL (any role; nothing is signed)
  providers list                                the key providers: id, kind, where, origin, health (checked by this
                                                command), circuit, last error; never a secret
  providers test ID                             a health check of one provider now (admin): exit 0 when it answers,
                                                exit 1 with provider_unavailable when it does not
  providers health                              a health check of every provider now (any role): id, kind, reachable,
                                                latency, error code; exit 1 when any is unreachable
  providers save --config FILE.json             adds or changes a provider (admin); its settings, secrets included,
                                                from a file only readable by you (never argv); a secret left out of
                                                an existing provider's file keeps its saved value
  providers remove ID                           removes a provider no key uses (admin)
  providers slots --module PATH                 the slots and tokens of a PKCS#11 module (admin): pick the token
                                                label a pkcs11 provider's file names
  operators list                                the operators: role, second factor, who added them, unlock throttle
  operators add NAME --role ROLE                adds an operator (admin); their first passphrase from
                                                ECPS_NEW_OPERATOR_PASSPHRASE or the prompt (docs/operators.md)
  operators remove NAME                         wipes the operator's key slot and removes them (admin)
  operators role NAME --role ROLE               changes an operator's role (admin); ROLE: viewer, station_operator,
                                                key_custodian, security_officer, admin (making an admin needs approval)
  operators idle-time get | set MINUTES         the idle lock's time (set: admin; 1 to 240 minutes)
  operators recovery-codes regenerate           a new set of your recovery codes, printed this once (the old set
                                                stops working); you need a second factor
  operators reset-factor NAME                   removes an operator's second factor, TOTP or token (admin): they
                                                sign in with their passphrase alone and may enrol again
  operators totp enrol                          starts enrolling your authenticator app: prints its otpauth:// URI
                                                and base32 secret this once (nothing changes until confirmed)
  operators totp confirm --code NNNNNN          the app's code turns the pending secret on; prints your ten
                                                recovery codes this once
  operators token slots --module PATH           the slots and tokens of a PKCS#11 module
  operators token bind --module PATH --token-label L --key-label K
                                                binds a key pair on your token as your second factor; its PIN from
                                                ECPS_TOKEN_PIN or the prompt (never argv); prints recovery codes once
  approvals list [--all] [--limit N]            approval requests still open (--all: every one), newest first
  approvals approve ID                          approve another operator's request, signed in as yourself
  approvals deny ID --reason TEXT               refuse a request (or withdraw your own); it can no longer run
  approvals execute ID [--out-dir DIR]          run an approved request: exactly the stored input, on its channel;
                                                a recovery.shares request needs --out-dir (its share files, written
                                                as recovery shares writes them) or --json, checked before it runs
  approvals export ID --out FILE                the request as a file, for an approver at another workstation
  approvals import --in FILE                    record the approval a signed approval file carries
  approvals enrol --in PUBLIC.pem               enrol your own Ed25519 approval public key (approvals keygen)
  approvals revoke-key OPERATOR --reason TEXT   (admin) remove an operator's approval key: files it signed are refused,
                                                also if it is enrolled again; they still approve signed in
  approvals revoked-keys [--limit N] [--after CURSOR | --all]
                                                the approval keys revoked (removed by an admin or replaced): operator,
                                                fingerprint, when, by whom, reason; newest first, a page at a time
  approvals keys [--limit N] [--after CURSOR | --all]
                                                who has an approval key enrolled now: operator, fingerprint, enrolled
                                                at ("operator removed": a leftover key to revoke); newest first, paged
  approvals policy list                         each guarded action's policy: approvals needed, who may approve, life
  approvals policy set ACTION [--m M] [--eligible ROLE,..] [--eligible-operators NAME,..] [--ttl SECONDS]
                                                changes the fields given (admin; "none" empties a list); lowering a
                                                policy needs approval itself (docs/two-person-control.md)
  approvals keygen --out KEY.pem                (no store) a new approval key pair: the private key encrypted under
                                                a passphrase (ECPS_APPROVAL_KEY_PASSPHRASE or the prompt) into
                                                KEY.pem, the public key printed to enrol
  approvals sign --in REQUEST --key KEY.pem --out FILE
                                                (no store) approve a request file as --operator, signed with your
                                                approval key (docs/two-person-control.md)
  backup --out FILE [--k K --custodian NAME ... [--out-dir DIR]]
                                                encrypted backup of the whole store (admin); the backup passphrase
                                                comes from ECPS_BACKUP_PASSPHRASE or the prompt; with --k, the backup
                                                key is also split into K-of-N shares (docs/recovery-and-backup.md)
  restore --from FILE --data-dir DIR [--shares FILE]
                                                restores a backup into DIR (new or empty); no sign-in, no store needed;
                                                the backup passphrase, or K shares of the backup key (one per line)
  recovery shares --k K --custodian NAME --custodian NAME ... [--out-dir DIR]
                                                splits the master key into K-of-N shares, one per custodian (admin);
                                                printed once, or written once as one 0600 file each into DIR
  recovery recover --shares FILE                the recovery ceremony: K shares (one per line) make --operator an admin
                                                with a new passphrase (ECPS_PASSPHRASE or the prompt) and sign them in
  kit export --out DIR --order SCOPE [--order SCOPE ...] --reason TEXT [--max-uses N] [--valid-for SECONDS]
             [--message TEXT] [--order-actions LIST]
                                                an incident kit for --operator (docs/incident-kit.md): registry copy,
                                                CRL, one pre-authorised lockdown order per --order, sealed under your
                                                passphrase; SCOPE: fleet | robot:ID[,ID] | site:NAME | model:NAME |
                                                firmware:VERSION | tag:TAG (security officer); distrust-ca:current |
                                                distrust-ca:CA-ID: the whole fleet stops trusting that fleet CA
                                                (distrust_ca + refuse_revoked_peers, quarantines no robot)
  kit import DIR                                verifies a kit brought back and merges its offline actions, once
  kit status --kit DIR                          (offline, no store) the kit: orders, uses left, expiry
  kit robots --kit DIR                          (offline) the registry copy with the offline quarantines
  kit use ORDER --kit DIR --reason TEXT [--out FILE]
                                                (offline) uses a pre-authorised order: its robots quarantined in the
                                                kit's audit, the signed order file written for the robots
  help

Global options:
  --data-dir DIR     key store folder (else ECPS_DATA_DIR, else the console's user-data folder)
  --operator NAME    the operator who signs in, with their own passphrase (else ECPS_OPERATOR, else the OS user
                     name); every audit record names them, and their role decides what they may do. init makes
                     this operator the first admin (docs/operators.md)
  --totp CODE        the operator's authenticator code, for an operator with a second factor (else ECPS_TOTP;
                     docs/operators.md); a code works once, so each command needs a fresh one. An operator
                     whose second factor is a PKCS#11 token gives its PIN in ECPS_TOKEN_PIN (never on argv)
  --recovery-code CODE  one of the operator's recovery codes instead of the code or the PIN (a lost
                     authenticator or token; else ECPS_RECOVERY_CODE); each code works once
  --json             print the raw result as JSON

The passphrase comes from ECPS_PASSPHRASE, else a prompt without echo, else one line of stdin; never from argv.
Existing output files are never overwritten unless --force is given.`;

export interface ParsedCommand {
  command: CommandName;
  args: string[];
  options: OptionValues;
  json: boolean;
  /** --data-dir; absent: ECPS_DATA_DIR or the default folder (electron/config). */
  dataDir: string | undefined;
  operator: string;
  /** --totp or ECPS_TOTP: the authenticator code sent with the unlock (absent: none). */
  totp: string | undefined;
  /** ECPS_TOKEN_PIN: the PIN of the operator's second-factor token (never from argv). */
  tokenPin: string | undefined;
  /** --recovery-code or ECPS_RECOVERY_CODE: a recovery code instead of the second factor (absent: none). */
  recoveryCode: string | undefined;
  /** --port of serve (the serial port path of provision and distribute stays in options.port). */
  port: number | undefined;
  /** --version of key-usage: a positive integer. */
  version: number | undefined;
  /** --custodian of recovery shares, in order (repeatable). */
  custodians: string[];
}

const PASSPHRASE_FLAG = /^--?(passphrase|password|pass)(=|$)/i;
const PIN_FLAG = /^--?(token-)?pin(=|$)/i;
/** A provider's secret setting as a flag (--vault-token, --aws_secret_access_key=...): refused before parsing. */
const SECRET_FLAG = new RegExp(`^--?(${SECRET_FIELDS.map((f) => f.replace(/_/g, '[-_]')).join('|')})(=|$)`, 'i');

export function refusePassphraseFlag(argv: readonly string[]): void {
  if (argv.some((a) => PASSPHRASE_FLAG.test(a))) {
    throw new UsageError(
      'refusing a passphrase on the command line: argv is visible to other users (ps) and kept in shell history. ' +
        'Set ECPS_PASSPHRASE or type it at the prompt.',
    );
  }
  if (argv.some((a) => PIN_FLAG.test(a))) {
    throw new UsageError('refusing a token PIN on the command line: argv is visible to other users (ps) and kept in shell history. Set ECPS_TOKEN_PIN or type it at the prompt.');
  }
  const secret = argv.find((a) => SECRET_FLAG.test(a));
  if (secret !== undefined) {
    const name = SECRET_FLAG.exec(secret)![1]!;
    throw new UsageError(`refusing the provider secret ${name} on the command line: argv is visible to other users (ps) and kept in shell history. Put it in the file of providers save --config FILE.json (readable only by you).`);
  }
}

function defaultOperator(env: NodeJS.ProcessEnv): string {
  if (env.ECPS_OPERATOR) return env.ECPS_OPERATOR;
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.USERNAME ?? 'operator';
  }
}

/** rotation batch: the verb, its job id where it takes one, and the options of start only. */
function checkBatch(args: string[], values: OptionValues): void {
  const verb = args[0];
  const startOnly: OptionName[] = ['keys', 'type', 'site', 'concurrency', 'max-attempts'];
  if (verb !== 'start' && verb !== 'status' && verb !== 'cancel' && verb !== 'resume') throw new UsageError('rotation batch: expected start, status, cancel or resume');
  const wanted = verb === 'cancel' ? [1] : verb === 'status' ? [0, 1] : [0];
  if (!wanted.includes(args.length - 1)) throw new UsageError(`rotation batch ${verb}: expected ${verb === 'cancel' ? 'a job ID' : verb === 'status' ? 'at most one job ID' : 'no job ID'}`);
  if (verb !== 'start') {
    const stray = startOnly.find((name) => values[name] !== undefined);
    if (stray) throw new UsageError(`rotation batch ${verb}: option --${stray} does not apply`);
    if (verb !== 'status' && values.limit !== undefined) throw new UsageError(`rotation batch ${verb}: option --limit does not apply`);
    checkBatchPaging(verb === 'status' && args.length === 2, verb, values);
    return;
  }
  if (values.limit !== undefined) throw new UsageError('rotation batch start: option --limit does not apply');
  checkBatchPaging(false, 'start', values);
  const given = (['keys', 'type', 'site'] as const).filter((name) => typeof values[name] === 'string');
  if (given.length !== 1) throw new UsageError(`rotation batch start: give exactly one of --keys, --type or --site${given.length === 0 ? '' : ', not several'}`);
  for (const name of ['concurrency', 'max-attempts'] as const) {
    const v = values[name];
    if (typeof v === 'string' && !/^\d{1,3}$/.test(v)) throw new UsageError(`rotation batch start: --${name} must be a whole number`);
  }
}

/** The paging options of `rotation batch status ID` (one job's items): nowhere else; --after or --all, not both. */
function checkBatchPaging(oneJob: boolean, what: string, values: OptionValues): void {
  const given = (['outcome', 'after', 'all'] as const).find((name) => values[name] !== undefined);
  if (!oneJob) {
    if (given) throw new UsageError(`rotation batch ${what}: option --${given} applies only to one job (status ID)`);
    return;
  }
  if (values.after !== undefined && values.all !== undefined) throw new UsageError('rotation batch status: give --after or --all, not both');
  const outcome = values.outcome;
  if (typeof outcome === 'string' && !(BATCH_ITEM_STATES as readonly string[]).includes(outcome)) {
    throw new UsageError(`rotation batch status: --outcome must be one of ${BATCH_ITEM_STATES.join(', ')}`);
  }
}

const NUMBER_OPTIONS: ReadonlySet<string> = new Set(['canary-percent', 'max-failure-ratio', 'grace-versions', 'grace-seconds']);

/**
 * rotation rollout: list takes no ID (and --key, --limit), halt and resume take one (and --reason, required by halt);
 * policy takes set or clear or nothing (and --key; set takes the policy's fields, at least one, numbers as numbers).
 */
function checkRollout(args: string[], values: OptionValues): void {
  const verb = args[0];
  if (verb === 'versions' || verb === 'retire' || verb === 'reinstate') return checkRolloutVersion(verb, args, values);
  if (verb !== 'list' && verb !== 'halt' && verb !== 'resume' && verb !== 'policy') throw new UsageError('rotation rollout: expected list, halt, resume, policy, versions, retire or reinstate');
  const versionOnly = (['force', 'days'] as const).find((name) => values[name] !== undefined);
  if (versionOnly) throw new UsageError(`rotation rollout ${verb}: option --${versionOnly} does not apply`);
  const fields = ROLLOUT_POLICY_OPTIONS.filter((name) => values[name] !== undefined);
  if (verb === 'policy') {
    const sub = args[1];
    if (args.length > 2 || (sub !== undefined && sub !== 'set' && sub !== 'clear')) throw new UsageError('rotation rollout policy: expected nothing, set or clear');
    const stray = (['limit', 'reason'] as const).find((name) => values[name] !== undefined) ?? (sub !== 'set' ? fields[0] : undefined);
    if (stray) throw new UsageError(`rotation rollout policy${sub ? ` ${sub}` : ''}: option --${stray} does not apply`);
    if (sub === 'set' && fields.length === 0) throw new UsageError(`rotation rollout policy set: give at least one of --${ROLLOUT_POLICY_OPTIONS.join(', --')}`);
    const notNumber = fields.find((name) => NUMBER_OPTIONS.has(name) && !/^\d+(\.\d+)?$/.test(String(values[name])));
    if (notNumber) throw new UsageError(`rotation rollout policy set: --${notNumber} must be a number`);
    return;
  }
  if (args.length !== (verb === 'list' ? 1 : 2)) throw new UsageError(`rotation rollout ${verb}: expected ${verb === 'list' ? 'no rollout ID' : 'a rollout ID'}`);
  const allowed: OptionName[] = verb === 'list' ? ['key', 'limit'] : ['reason'];
  const stray = (['key', 'limit', 'reason', ...ROLLOUT_POLICY_OPTIONS] as const).find((name) => values[name] !== undefined && !allowed.includes(name));
  if (stray) throw new UsageError(`rotation rollout ${verb}: option --${stray} does not apply`);
  if (verb === 'halt' && typeof values.reason !== 'string') throw new UsageError('rotation rollout halt: --reason is required');
}

/** rotation rollout versions KEY | retire KEY VERSION [--force --reason] | reinstate KEY VERSION --reason --days. */
function checkRolloutVersion(verb: 'versions' | 'retire' | 'reinstate', args: string[], values: OptionValues): void {
  const wanted = verb === 'versions' ? 2 : 3;
  if (args.length !== wanted) throw new UsageError(`rotation rollout ${verb}: expected ${verb === 'versions' ? 'a key ID' : 'a key ID and a version'}`);
  if (verb !== 'versions' && !/^[1-9]\d{0,8}$/.test(args[2]!)) throw new UsageError(`rotation rollout ${verb}: the version must be a whole number from 1`);
  const allowed: OptionName[] = verb === 'versions' ? [] : verb === 'retire' ? ['force', 'reason'] : ['reason', 'days'];
  const stray = (['key', 'limit', 'reason', 'force', 'days', ...ROLLOUT_POLICY_OPTIONS] as const).find((name) => values[name] !== undefined && !allowed.includes(name));
  if (stray) throw new UsageError(`rotation rollout ${verb}: option --${stray} does not apply`);
  if (verb === 'retire' && values.force === true && typeof values.reason !== 'string') throw new UsageError('rotation rollout retire: --force needs --reason');
  if (verb === 'reinstate') {
    if (typeof values.reason !== 'string') throw new UsageError('rotation rollout reinstate: --reason is required');
    if (typeof values.days !== 'string' || !/^\d{1,2}$/.test(values.days)) throw new UsageError('rotation rollout reinstate: --days must be a whole number from 1 to 90');
  }
}

/** operators totp: enrol takes nothing; confirm takes --code, the app's six digits. */
function checkTotp(args: string[], values: OptionValues): void {
  const verb = args[0];
  if (args.length !== 1 || (verb !== 'enrol' && verb !== 'confirm')) throw new UsageError('operators totp: expected enrol or confirm');
  if (verb === 'enrol' && values.code !== undefined) throw new UsageError('operators totp enrol: option --code does not apply (it goes to operators totp confirm)');
  if (verb === 'confirm' && (typeof values.code !== 'string' || !/^\d{3} ?\d{3}$/.test(values.code))) {
    throw new UsageError('operators totp confirm: --code must be the 6-digit code your authenticator app shows for the new entry');
  }
}

/** operators token: slots takes --module only; bind takes --module, --token-label and --key-label. */
function checkToken(args: string[], values: OptionValues): void {
  const verb = args[0];
  if (args.length !== 1 || (verb !== 'slots' && verb !== 'bind')) throw new UsageError('operators token: expected slots or bind');
  const labels = ['token-label', 'key-label'] as const;
  if (verb === 'slots') {
    const stray = labels.find((name) => values[name] !== undefined);
    if (stray) throw new UsageError(`operators token slots: option --${stray} does not apply`);
    return;
  }
  const missing = labels.find((name) => typeof values[name] !== 'string' || values[name] === '');
  if (missing) throw new UsageError(`operators token bind: --${missing} is required`);
}

/** operators idle-time: get takes nothing; set takes the minutes as a whole number (the range is the channel's). */
function checkIdleTime(args: string[]): void {
  const verb = args[0];
  if (verb !== 'get' && verb !== 'set') throw new UsageError('operators idle-time: expected get or set MINUTES');
  if (verb === 'get' && args.length !== 1) throw new UsageError('operators idle-time get: expected no other argument');
  if (verb === 'set' && (args.length !== 2 || !/^\d{1,6}$/.test(args[1] ?? ''))) throw new UsageError('operators idle-time set: expected MINUTES, a whole number');
}

/**
 * approvals policy: list takes nothing; set takes the action and at least one field (the other fields keep their
 * current value); --m and --ttl are whole numbers, the lists comma-separated (`none` for an empty list).
 */
function checkApprovalPolicy(args: string[], values: OptionValues): void {
  const verb = args[0];
  if (verb !== 'list' && verb !== 'set') throw new UsageError('approvals policy: expected list or set ACTION');
  const fields = APPROVAL_POLICY_OPTIONS.filter((name) => values[name] !== undefined);
  if (verb === 'list') {
    if (args.length !== 1) throw new UsageError('approvals policy list: expected no other argument');
    if (fields[0]) throw new UsageError(`approvals policy list: option --${fields[0]} does not apply`);
    return;
  }
  if (args.length !== 2) throw new UsageError('approvals policy set: expected ACTION (one of the actions `approvals policy list` prints)');
  if (fields.length === 0) throw new UsageError(`approvals policy set: give at least one of --${APPROVAL_POLICY_OPTIONS.join(', --')}`);
  const notNumber = (['m', 'ttl'] as const).find((name) => values[name] !== undefined && !/^\d{1,8}$/.test(String(values[name])));
  if (notNumber) throw new UsageError(`approvals policy set: --${notNumber} must be a whole number`);
}

/** Most keys one keys:backup / keys:migrate call takes (the channel's own limit). */
export const MAX_KEYS_PER_CALL = 10_000;

/**
 * keys backup / keys migrate: the keys are named (one or more IDs) or --all, never neither (a migration moves keys for
 * good: the window asks for a confirmation, the command for the explicit --all) and never both.
 */
function checkKeySelection(command: 'keys backup' | 'keys migrate', args: string[], values: OptionValues): void {
  if (values.all === true && args.length > 0) throw new UsageError(`${command}: give key IDs or --all, not both`);
  if (values.all !== true && args.length === 0) throw new UsageError(`${command}: name the keys (KEY-ID ...) or give --all for every key`);
  if (args.length > MAX_KEYS_PER_CALL) throw new UsageError(`${command}: at most ${MAX_KEYS_PER_CALL} key IDs per call`);
}

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommand {
  refusePassphraseFlag(argv);
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message.split('\n')[0] ?? 'bad arguments' : 'bad arguments');
  }
  const { custodian, order, ...rest } = parsed.values as OptionValues & { custodian?: string[]; order?: string[] };
  const values: OptionValues = { ...rest, ...(custodian === undefined ? {} : { custodian: custodian.join('\n') }), ...(order === undefined ? {} : { order: order.join('\n') }) };
  const words = parsed.positionals;
  if (values.help || words.length === 0) return finish('help', [], values, env);
  const two = `${words[0]} ${words[1] ?? ''}`.trim();
  const command = (COMMANDS as readonly string[]).includes(two) && words.length >= 2
    ? (two as CommandName)
    : (COMMANDS as readonly string[]).includes(words[0] ?? '') ? (words[0] as CommandName) : null;
  if (!command) throw new UsageError(`unknown command "${words.slice(0, 2).join(' ')}"`);
  const args = words.slice(command.split(' ').length);
  return finish(command, args, values, env);
}

/** emergency and lockdown commands: exactly one scope, at least one action for execute, well-formed numbers. */
function checkEmergency(command: CommandName, values: OptionValues): void {
  const scopes = EMERGENCY_SCOPE.filter((name) => values[name] !== undefined && values[name] !== false);
  if (scopes.length !== 1) {
    const names = EMERGENCY_SCOPE.map((n) => `--${n}`).join(', ');
    throw new UsageError(`${command}: give exactly one scope of ${names}${scopes.length > 1 ? ', not several' : ''}`);
  }
  if (typeof values.key === 'string' && !/^[^:\s]+(:[1-9]\d{0,8})?$/.test(values.key)) throw new UsageError(`${command}: --key must be ID or ID:VERSION`);
  if (command === 'emergency execute' && !PLAYBOOK_ACTIONS.some((name) => values[name] === true)) {
    throw new UsageError(`emergency execute: give at least one action (${PLAYBOOK_ACTIONS.map((n) => `--${n}`).join(' ')})`);
  }
  if (command === 'emergency execute' && values['distrust-ca'] !== undefined && values.lockdown !== true) {
    throw new UsageError('emergency execute: --distrust-ca goes with --lockdown (the order robots stop trusting the CA by)');
  }
  if (typeof values['valid-for'] === 'string' && !/^\d{1,8}$/.test(values['valid-for'])) throw new UsageError(`${command}: --valid-for must be a number of seconds`);
  const expect = values['expect-robots'];
  if (typeof expect === 'string') {
    if (!/^\d{1,7}$/.test(expect)) throw new UsageError(`${command}: --expect-robots must be a whole number of robots`);
    if (values.key === undefined && values.serial === undefined) throw new UsageError(`${command}: --expect-robots applies only to --key and --serial (the scopes resolved to robots when signed)`);
  }
}

function finish(command: CommandName, args: string[], values: OptionValues, env: NodeJS.ProcessEnv): ParsedCommand {
  const spec = PER_COMMAND[command];
  for (const name of Object.keys(values) as OptionName[]) {
    if (!GLOBAL.includes(name) && !spec.options.includes(name)) throw new UsageError(`${command}: option --${name} does not apply`);
  }
  for (const name of spec.required) {
    if (typeof values[name] !== 'string' || values[name] === '') throw new UsageError(`${command}: --${name} is required`);
  }
  if (spec.oneOf) {
    const given = spec.oneOf.filter((name) => typeof values[name] === 'string');
    if (given.length !== 1) {
      const names = spec.oneOf.map((name) => `--${name}`).join(' or ');
      throw new UsageError(`${command}: give exactly one of ${names}${given.length > 1 ? ', not both' : ''}`);
    }
  }
  if (command.startsWith('emergency ') && command !== 'emergency retry') checkEmergency(command, values);
  if (command.startsWith('lockdown ')) checkEmergency(command, values);
  if (command === 'kit export') {
    for (const name of ['max-uses', 'valid-for'] as const) {
      const v = values[name];
      if (typeof v === 'string' && !/^\d{1,8}$/.test(v)) throw new UsageError(`kit export: --${name} must be a whole number`);
    }
    for (const spec of String(values.order).split('\n')) {
      if (spec.startsWith('distrust-ca:') ? !DISTRUST_CA_SPEC.test(spec) : !/^(fleet|(robot|site|model|firmware|tag):.+)$/.test(spec))
        throw new UsageError(`kit export: --order "${spec}" is not fleet, robot:ID[,ID...], site:NAME, model:NAME, firmware:VERSION, tag:TAG, distrust-ca:current or distrust-ca:CA-ID`);
    }
  }
  if (command === 'rotation batch') checkBatch(args, values);
  else if (command === 'rotation rollout') checkRollout(args, values);
  else if (command === 'operators idle-time') checkIdleTime(args);
  else if (command === 'operators recovery-codes' && (args.length !== 1 || args[0] !== 'regenerate')) throw new UsageError('operators recovery-codes: expected regenerate');
  else if (command === 'approvals policy') checkApprovalPolicy(args, values);
  else if ((command === 'approvals keys' || command === 'approvals revoked-keys') && values.after !== undefined && values.all !== undefined) {
    throw new UsageError(`${command}: give --after or --all, not both`);
  }
  else if (command === 'operators totp') checkTotp(args, values);
  else if (command === 'operators token') checkToken(args, values);
  else if (command === 'keys backup' || command === 'keys migrate') checkKeySelection(command, args, values);
  else if (args.length !== spec.args.length) {
    const wanted = spec.args.length ? spec.args.join(' ') : 'no arguments';
    throw new UsageError(`${command}: expected ${wanted}, got ${args.length === 0 ? 'none' : args.length}`);
  }
  if (command === 'providers save' && /^\s*[[{]/.test(String(values.config))) {
    // Its text is never echoed: it may hold a secret. argv is visible to other users (ps) and kept in shell history.
    throw new UsageError('providers save: --config takes the name of a JSON file, not the settings themselves (argv is visible to other users via ps and kept in shell history)');
  }
  if (command === 'rotation policy') {
    if (args[0] !== 'get' && args[0] !== 'set') throw new UsageError('rotation policy: expected get or set');
    if (args[0] === 'set' && typeof values.policy !== 'string') throw new UsageError('rotation policy set: --policy is required');
    if (args[0] === 'get' && values.policy !== undefined) throw new UsageError('rotation policy get: option --policy does not apply');
  }
  const custodians = typeof values.custodian === 'string' ? values.custodian.split('\n') : [];
  if (command === 'recovery shares' || (command === 'backup' && (values.k !== undefined || custodians.length > 0 || values['out-dir'] !== undefined))) {
    if (!/^\d{1,2}$/.test(String(values.k))) throw new UsageError(`${command}: --k must be a whole number`);
    if (custodians.length < 2) throw new UsageError(`${command}: name at least two custodians (--custodian NAME, once per custodian)`);
  }
  if (typeof values.limit === 'string' && (!/^\d{1,4}$/.test(values.limit) || Number(values.limit) < 1 || Number(values.limit) > 1000)) {
    throw new UsageError(`${command}: --limit must be a number from 1 to 1000`);
  }
  let port: number | undefined;
  if (typeof values.port === 'string' && command === 'serve') {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) throw new UsageError('--port must be a number from 0 to 65535');
    port = Number(values.port);
  }
  let version: number | undefined;
  if (typeof values.version === 'string') {
    if (!/^\d+$/.test(values.version) || !Number.isSafeInteger(Number(values.version)) || Number(values.version) < 1) throw new UsageError(`${command}: --version must be a positive integer`);
    version = Number(values.version);
  }
  const dataDir = typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined;
  const operator = typeof values.operator === 'string' ? values.operator : defaultOperator(env);
  const totp = typeof values.totp === 'string' ? values.totp : env.ECPS_TOTP || undefined;
  if (totp !== undefined && !/^\d{3} ?\d{3}$/.test(totp)) throw new UsageError('--totp (or ECPS_TOTP) must be the 6-digit code of your authenticator app');
  const tokenPin = env.ECPS_TOKEN_PIN || undefined;
  const recoveryCode = typeof values['recovery-code'] === 'string' ? values['recovery-code'] : env.ECPS_RECOVERY_CODE || undefined;
  if (recoveryCode !== undefined && !/^[0-9A-Za-z -]{1,64}$/.test(recoveryCode)) throw new UsageError('--recovery-code (or ECPS_RECOVERY_CODE) must be one of your recovery codes, e.g. 7K2M-9QXD-4HNA-0TRB');
  return { command, args, options: values, json: values.json === true, dataDir, operator, totp, tokenPin, recoveryCode, port, version, custodians };
}
