// Envelope encrypt+decrypt through the IPC handlers (issue 11): the real console's keys:encrypt / keys:decrypt
// handlers (key state check, key-version unwrap, envelope, the durable audit append of each call) behind the router,
// bytes in and out as Uint8Array, versus raw AES-256-GCM on the same messages. The router is what the CLI calls and
// what both transports call; the rows after it add a transport's encoding: the real Electron IPC registration with a
// structured clone both ways (node:v8's plain Serializer, the algorithm Electron runs: no Electron binary here), and
// the browser host's binary WebSocket frames over loopback.
//
// The 1 MiB target is applied with 16 callers in flight (a station or several officers; the case group commit is for),
// where one durable commit carries the records of every call finishing together. One caller at a time is reported
// beside it: its round trip waits for two durable commits in sequence (the encryption's record, then the decryption's)
// that no other call shares, and each row's note says how much of its round trip those commits took.
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { createConsole } from '../../electron/app.ts';
import { startBrowserHost } from '../../electron/host/browserHost.ts';
import { registerElectronIpc, type IpcMainLike } from '../../electron/ipc/electronIpc.ts';
import { IPC_CALL } from '../../electron/ipc/ipcChannels.ts';
import { createRouter } from '../../electron/ipc/router.ts';
import type { IpcEventLike } from '../../electron/security/senderPolicy.ts';
import { APP_ORIGIN } from '../../electron/security/windowOptions.ts';
import { cookieFor, openSocket, socketClient } from '../security/hostKit.ts';
import { rawGcmRoundTrip as rawRoundTrip } from './rawGcm.ts';
import type { BenchResult } from './types.ts';

const clone = (value: unknown): unknown => {
  const s = new v8.Serializer();
  s.writeHeader();
  s.writeValue(value);
  const d = new v8.Deserializer(s.releaseBuffer());
  d.readHeader();
  return d.readValue();
};

/**
 * Raw and path calls alternate one by one (the machine is shared: load shifts within a second, and would otherwise
 * land on one side only); each round's ratio is raw time / path time, and the median round is reported.
 */
async function medianRound(
  rounds: number,
  iterations: number,
  sides: { raw: () => unknown; path: () => Promise<unknown> },
): Promise<{ raw: number; path: number; pathCpuMs: number; pathSysMs: number; pathFaults: number; pathWallMs: number }> {
  const seen: Array<{ raw: number; path: number }> = [];
  let pathCpu = 0;
  let pathSys = 0;
  let pathFaults = 0;
  let pathWall = 0;
  for (let round = 0; round < rounds; round++) {
    let raw = 0n;
    let path = 0n;
    for (let i = 0; i < iterations; i++) {
      let t = process.hrtime.bigint();
      sides.raw();
      raw += process.hrtime.bigint() - t;
      const cpu = process.cpuUsage();
      const faults = process.resourceUsage().minorPageFault;
      t = process.hrtime.bigint();
      await sides.path();
      path += process.hrtime.bigint() - t;
      const used = process.cpuUsage(cpu);
      pathCpu += (used.user + used.system) / 1000;
      pathSys += used.system / 1000;
      pathFaults += process.resourceUsage().minorPageFault - faults;
    }
    seen.push({ raw: Number(raw) / 1e9, path: Number(path) / 1e9 });
    pathWall += Number(path) / 1e6;
  }
  seen.sort((x, y) => x.raw / x.path - y.raw / y.path);
  return { ...seen[Math.floor(seen.length / 2)]!, pathCpuMs: pathCpu, pathSysMs: pathSys, pathFaults, pathWallMs: pathWall };
}

/** Callers in flight in the concurrent rows: each does one round trip, all at once; the raw side does as many in turn. */
const CALLERS = 16;

type Reply = { ok: boolean; value?: Record<string, unknown>; error?: { code: string } };

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ecps-bench-ipc-'));
  const fleet = await createConsole({ dataDir: dir, kdf: { N: 1024, r: 8, p: 1 } });
  const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>>();
  const ipcMain: IpcMainLike = { handle: (ch, fn) => void handlers.set(ch, fn), removeHandler: (ch) => void handlers.delete(ch) };
  const router = createRouter({ handlers: fleet.handlers });
  registerElectronIpc({ ipcMain, router, trustedWindow: () => ({ webContentsId: 1, origin: APP_ORIGIN }) });
  const handler = handlers.get(IPC_CALL)!;
  const main = { url: 'app://console/index.html', parent: null };
  const event: IpcEventLike = { senderFrame: main, sender: { id: 1, mainFrame: main } };
  /** ipcRenderer.invoke as Electron carries it: arguments cloned in, the reply cloned out. */
  const invoke = async (channel: string, input: unknown): Promise<Reply> => {
    const [ch, copy] = clone([channel, input]) as [string, unknown];
    return clone(await handler(event, ch, copy)) as Reply;
  };
  const host = await startBrowserHost({ console: fleet, rendererDir: dir });
  const opened = await openSocket(`ws://127.0.0.1:${host.port}/ws`, cookieFor(host));
  if (!('ws' in opened)) throw new Error('socket refused');
  const socket = socketClient(opened.ws);
  try {
    await invoke('session:init', { operator: 'bench', passphrase: 'bench passphrase, long enough' });
    const key = (await invoke('keys:create', { type: 'storage', label: 'bench' })).value as { id: string };
    const aad = Buffer.from('robot-7/telemetry');
    const rawKey = crypto.randomBytes(32);
    const route = (channel: string, input: unknown) => router.route({ channel, input, ctx: { transport: 'cli' }, trustedSender: true }) as Promise<Reply>;
    const viaRouter = async (msg: Uint8Array) => {
      const enc = await route('keys:encrypt', { keyId: key.id, plaintext: msg, aad });
      const dec = await route('keys:decrypt', { ciphertext: enc.value!.ciphertext, aad });
      return dec.value!.plaintext as Uint8Array;
    };
    /** The same handlers called directly: what the IPC layers add is the difference from this row. */
    const viaService = async (msg: Uint8Array) => {
      const enc = await fleet.handlers['keys:encrypt']({ keyId: key.id, plaintext: msg, aad }, { transport: 'cli' });
      const dec = await fleet.handlers['keys:decrypt']({ ciphertext: enc.ciphertext, aad }, { transport: 'cli' });
      return dec.plaintext;
    };
    const viaIpc = async (msg: Uint8Array) => {
      const enc = await invoke('keys:encrypt', { keyId: key.id, plaintext: msg, aad });
      const dec = await invoke('keys:decrypt', { ciphertext: enc.value!.ciphertext, aad });
      return dec.value!.plaintext as Uint8Array;
    };
    const viaHost = async (msg: Uint8Array) => {
      const enc = await socket.call('keys:encrypt', { keyId: key.id, plaintext: msg, aad });
      const dec = await socket.call('keys:decrypt', { ciphertext: (enc.value as { ciphertext: Uint8Array }).ciphertext, aad });
      return (dec.value as { plaintext: Uint8Array }).plaintext;
    };

    const results: BenchResult[] = [];
    const MiB = 1024 * 1024;
    const cli = 'IPC handlers as the CLI calls them (router, bytes in and out)';
    const win = 'window transport (Electron IPC registration + structured clone both ways)';
    const service = 'console key service alone (handlers called directly, no IPC layer)';
    const oneCaller = 'reported: one caller at a time waits for two unshared durable commits per round trip (see note)';
    const cases: Array<{ name: string; via: (m: Uint8Array) => Promise<Uint8Array>; size: number; callers: number; iterations: number; target: number; reported?: string }> = [
      // One caller first, in the order of the rows before the concurrent ones existed (comparable with earlier runs).
      { name: cli, via: viaRouter, size: MiB, callers: 1, iterations: 20, target: 0, reported: oneCaller },
      { name: win, via: viaIpc, size: MiB, callers: 1, iterations: 20, target: 0, reported: oneCaller },
      { name: 'browser host (binary WebSocket frames, loopback)', via: viaHost, size: MiB, callers: 1, iterations: 20, target: 0 },
      { name: service, via: viaService, size: MiB, callers: 1, iterations: 20, target: 0 },
      { name: cli, via: viaRouter, size: MiB, callers: CALLERS, iterations: 3, target: 0.5 },
      { name: win, via: viaIpc, size: MiB, callers: CALLERS, iterations: 3, target: 0.5 },
      { name: service, via: viaService, size: MiB, callers: CALLERS, iterations: 3, target: 0 },
      { name: cli, via: viaRouter, size: 64 * 1024, callers: 1, iterations: 50, target: 0 },
      { name: win, via: viaIpc, size: 64 * 1024, callers: 1, iterations: 50, target: 0 },
      { name: cli, via: viaRouter, size: 1024, callers: 1, iterations: 100, target: 0 },
      { name: win, via: viaIpc, size: 1024, callers: 1, iterations: 100, target: 0 },
    ];
    const ROUNDS = 7;
    for (const c of cases) {
      const msg = new Uint8Array(crypto.randomBytes(c.size));
      const msgBuf = Buffer.from(msg.buffer);
      if (!Buffer.from(await c.via(msg)).equals(msgBuf) || !rawRoundTrip(rawKey, msgBuf, aad).equals(msgBuf)) throw new Error('round trip failed');
      const path = c.callers === 1 ? () => c.via(msg) : () => Promise.all(Array.from({ length: c.callers }, () => c.via(msg)));
      const raw = () => {
        for (let i = 0; i < c.callers; i++) rawRoundTrip(rawKey, msgBuf, aad);
      };
      for (let i = 0; i < 5; i++) await path();
      const before = fleet.diagnostics().auditGroups;
      const best = await medianRound(ROUNDS, c.iterations, { raw, path });
      const after = fleet.diagnostics().auditGroups;
      const trips = ROUNDS * c.iterations * c.callers;
      const mib = (c.size * c.iterations * c.callers) / MiB;
      const baseline = mib / best.raw;
      const measured = mib / best.path;
      const ratio = measured / baseline;
      const perTrip = (ms: number) => (ms / trips).toFixed(2);
      const opsPerCommit = (after.members - before.members) / Math.max(1, after.groups - before.groups);
      const size = c.size >= MiB ? '1 MiB' : `${c.size / 1024} KiB`;
      results.push({
        name: `envelope encrypt+decrypt ${size}, ${c.callers === 1 ? 'one caller at a time' : `${c.callers} callers in flight`}, through the ${c.name}`,
        unit: 'MiB/s',
        baseline,
        measured,
        ratio,
        target: c.target > 0 ? `>= ${c.target}x raw AES-256-GCM` : (c.reported ?? 'reported'),
        pass: c.target > 0 ? ratio >= c.target : true,
        note:
          `median of ${ROUNDS} rounds, raw and path calls alternating; each call includes its durable audit append; ` +
          `per round trip over all rounds: path ${perTrip(best.pathWallMs)}` +
          ` ms wall, ${perTrip(after.transactionMs - before.transactionMs)} ms of it in durable commit transactions ` +
          `(${opsPerCommit.toFixed(1)} audited operations per commit), ${perTrip(best.pathCpuMs)} ms process CPU ` +
          `(${perTrip(best.pathSysMs)} ms of it system time), ${(best.pathFaults / trips).toFixed(0)} minor page faults; load average ${os.loadavg()[0]!.toFixed(1)}`,
      });
    }
    return results;
  } finally {
    opened.ws.close();
    await host.close();
    fleet.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
