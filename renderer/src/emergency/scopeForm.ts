// The Emergency screen's scope form as the contract's scope (shared/emergencyContract.ts): pure, so the table in
// test/unit/emergency-scope-form.test.ts can check it. A list of robots comes pasted (one per line, or separated by
// commas, semicolons or spaces) or as a CSV file whose header names a device id column (the fleet import's
// `deviceId`, or `device_id` / `device id`); a file without such a header is read as a plain list.
import { DEVICE_ID_PATTERN, FLEET_NAME_PATTERN, ROBOT_TAG_PATTERN } from '../../../shared/domain.ts';
import type { EmergencyScope } from '../../../shared/emergencyContract.ts';

export type ScopeKind = EmergencyScope['kind'];

/** The scope kinds in the order the form offers them, with their labels and what the value field asks for. */
export const SCOPE_KINDS: ReadonlyArray<{ kind: ScopeKind; label: string; field: string | null }> = [
  { kind: 'robot', label: 'One robot', field: 'Device id' },
  { kind: 'robots', label: 'A list of robots', field: 'Device ids' },
  { kind: 'site', label: 'A site', field: 'Site' },
  { kind: 'model', label: 'A model', field: 'Model' },
  { kind: 'firmware', label: 'A firmware version', field: 'Firmware version' },
  { kind: 'tag', label: 'A tag', field: 'Tag' },
  { kind: 'key', label: 'Holders of a key (version)', field: 'Key id[:version]' },
  { kind: 'serial', label: 'A certificate serial', field: 'Certificate serial (hex)' },
  { kind: 'fleet', label: 'The whole fleet', field: null },
];

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SERIAL = /^(?:[0-9A-Fa-f]{2}:?){1,20}$/;
const HEADER_NAMES = new Set(['deviceid', 'device_id', 'device id', 'device-id']);

export interface RobotList {
  deviceIds: string[];
  /** Entries that are not device ids (shown to the officer, never sent). */
  invalid: string[];
  /** How many entries repeated one before them (dropped). */
  duplicates: number;
}

/** Splits one CSV line into fields ("quoted, fields" and "" inside quotes). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

/** A pasted list or a CSV file's text as device ids, in the order given, each once. */
export function parseRobotList(text: string): RobotList {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  let entries: string[];
  const header = lines.length > 0 ? csvFields(lines[0]!).map((f) => f.toLowerCase()) : [];
  const column = header.findIndex((f) => HEADER_NAMES.has(f));
  if (column >= 0) entries = lines.slice(1).map((l) => csvFields(l)[column] ?? '').filter((e) => e !== '');
  else entries = lines.flatMap((l) => l.split(/[\s,;]+/)).filter((e) => e !== '');
  const seen = new Set<string>();
  const deviceIds: string[] = [];
  const invalid: string[] = [];
  let duplicates = 0;
  for (const e of entries) {
    if (!DEVICE_ID_PATTERN.test(e)) invalid.push(e);
    else if (seen.has(e)) duplicates++;
    else {
      seen.add(e);
      deviceIds.push(e);
    }
  }
  return { deviceIds, invalid, duplicates };
}

export type ScopeResult = { scope: EmergencyScope } | { error: string };

/** The form's kind and text as a scope the contract accepts, or what is wrong with the text, in words. */
export function scopeFromForm(kind: ScopeKind, text: string): ScopeResult {
  const v = text.trim();
  const need = (what: string) => ({ error: `Enter ${what}.` });
  switch (kind) {
    case 'fleet':
      return { scope: { kind: 'fleet' } };
    case 'robot':
      if (v === '') return need('a device id');
      return DEVICE_ID_PATTERN.test(v) ? { scope: { kind: 'robot', deviceId: v } } : { error: `“${v}” is not a device id (3-64 letters, digits, . _ -).` };
    case 'robots': {
      const list = parseRobotList(text);
      if (list.invalid.length > 0) return { error: `Not device ids: ${list.invalid.slice(0, 5).join(', ')}${list.invalid.length > 5 ? ` and ${list.invalid.length - 5} more` : ''}.` };
      if (list.deviceIds.length === 0) return need('at least one device id');
      if (list.deviceIds.length > 100_000) return { error: `At most 100,000 robots at once (${list.deviceIds.length} given).` };
      return { scope: { kind: 'robots', deviceIds: list.deviceIds } };
    }
    case 'site':
    case 'model':
    case 'firmware': {
      const what = kind === 'firmware' ? 'firmware version' : kind;
      if (v === '') return need(`a ${what}`);
      if (!FLEET_NAME_PATTERN.test(v)) return { error: `“${v}” is not a ${what} (1-64 letters, digits, space . _ / -).` };
      return { scope: kind === 'site' ? { kind, site: v } : kind === 'model' ? { kind, model: v } : { kind, firmware: v } };
    }
    case 'tag':
      if (v === '') return need('a tag');
      return ROBOT_TAG_PATTERN.test(v) ? { scope: { kind: 'tag', tag: v } } : { error: `“${v}” is not a tag (no spaces, at most 32 characters).` };
    case 'key': {
      if (v === '') return need('a key id');
      const m = /^([^:\s]+)(?::(\d+))?$/.exec(v);
      if (!m || !KEY_ID.test(m[1]!)) return { error: `“${v}” is not a key id, optionally followed by :version (a positive whole number).` };
      const version = m[2] === undefined ? undefined : Number(m[2]);
      if (version !== undefined && (version < 1 || !Number.isSafeInteger(version))) return { error: 'A key version is a whole number from 1.' };
      return { scope: version === undefined ? { kind: 'key', keyId: m[1]!.toLowerCase() } : { kind: 'key', keyId: m[1]!.toLowerCase(), version } };
    }
    case 'serial':
      if (v === '') return need('a certificate serial');
      return SERIAL.test(v) ? { scope: { kind: 'serial', serial: v } } : { error: `“${v}” is not a hexadecimal certificate serial (pairs of hex digits, colons allowed).` };
  }
}
