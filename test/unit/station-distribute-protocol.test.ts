// Protocol v1 additions for key bundles over the serial link: BUNDLE and INSTALLED payloads (bounds, trailing bytes),
// their frames through the real decoder, and the key-confirmation values (Kb, INSTALLED and DONE MACs).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bundleConfirmationKey, bundleFileHash, distributionDoneMac, installedMac } from '../../electron/station/bundle.ts';
import { FrameDecoder, MessageType, encodeFrame } from '../../electron/station/frame.ts';
import {
  DISTRIBUTE_CONSOLE_SEQ, DISTRIBUTE_ROBOT_SEQ, FieldWriter, MAX_BUNDLE_FILE, decodeBundle, decodeInstalled, encodeBundle, encodeInstalled,
} from '../../electron/station/protocol.ts';

const badFrame = expect.objectContaining({ code: 'bad_frame' }) as unknown as Error;

describe('BUNDLE message', () => {
  it('round-trips a bundle file and carries it in a frame of type 0x08 that the decoder accepts', () => {
    const file = Buffer.from('{"format":"ECPS-KEYBUNDLE-v1","body":"e30=","signature":"AA=="}');
    expect(decodeBundle(encodeBundle({ file })).file.equals(file)).toBe(true);
    const raw = encodeFrame({ type: MessageType.BUNDLE, seq: DISTRIBUTE_CONSOLE_SEQ.BUNDLE, payload: encodeBundle({ file }) });
    expect(raw[3]).toBe(0x08);
    const [ev] = new FrameDecoder().push(raw);
    expect(ev?.kind).toBe('frame');
    if (ev?.kind === 'frame') expect(decodeBundle(ev.frame.payload).file.equals(file)).toBe(true);
  });

  it('takes files up to 60 KiB and refuses larger or empty ones, trailing bytes and short fields', () => {
    const max = randomBytes(MAX_BUNDLE_FILE);
    expect(decodeBundle(encodeBundle({ file: max })).file.length).toBe(MAX_BUNDLE_FILE);
    expect(() => encodeBundle({ file: randomBytes(MAX_BUNDLE_FILE + 1) })).toThrow(expect.objectContaining({ code: 'frame_oversize' }) as unknown as Error);
    expect(() => encodeBundle({ file: Buffer.alloc(0) })).toThrow(expect.objectContaining({ code: 'frame_oversize' }) as unknown as Error);
    // A peer that announces a larger field is refused at decoding (the field limit, not only the frame limit).
    expect(() => decodeBundle(new FieldWriter().bytes(randomBytes(MAX_BUNDLE_FILE + 1)).done())).toThrow(badFrame);
    expect(() => decodeBundle(new FieldWriter().bytes(Buffer.alloc(0)).done())).toThrow(/empty/);
    expect(() => decodeBundle(Buffer.concat([encodeBundle({ file: max.subarray(0, 10) }), Buffer.from([1])]))).toThrow(/trailing/);
    expect(() => decodeBundle(encodeBundle({ file: max.subarray(0, 10) }).subarray(0, 8))).toThrow(/out of bounds/);
    expect(() => decodeBundle(Buffer.from([0, 0]))).toThrow(/truncated/);
  });
});

describe('INSTALLED message', () => {
  const good = { bundleId: randomBytes(16), sequence: 7, mac: randomBytes(32) };

  it('round-trips bundle id, sequence and MAC in a frame of type 0x09', () => {
    expect(decodeInstalled(encodeInstalled(good))).toEqual(good);
    const raw = encodeFrame({ type: MessageType.INSTALLED, seq: DISTRIBUTE_ROBOT_SEQ.INSTALLED, payload: encodeInstalled(good) });
    const [ev] = new FrameDecoder().push(raw);
    expect(ev).toMatchObject({ kind: 'frame', frame: { type: 0x09, seq: 1 } });
  });

  it('refuses wrong field sizes, a zero sequence, trailing bytes and truncation with bad_frame', () => {
    expect(() => decodeInstalled(encodeInstalled({ ...good, bundleId: randomBytes(15) }))).toThrow(badFrame);
    expect(() => decodeInstalled(encodeInstalled({ ...good, bundleId: randomBytes(17) }))).toThrow(badFrame);
    expect(() => decodeInstalled(encodeInstalled({ ...good, mac: randomBytes(31) }))).toThrow(badFrame);
    expect(() => decodeInstalled(encodeInstalled({ ...good, sequence: 0 }))).toThrow(/at least 1/);
    expect(() => decodeInstalled(Buffer.concat([encodeInstalled(good), Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => decodeInstalled(encodeInstalled(good).subarray(0, 30))).toThrow(badFrame);
    const u16Sequence = new FieldWriter().bytes(good.bundleId).bytes(Buffer.from([0, 7])).bytes(good.mac).done();
    expect(() => decodeInstalled(u16Sequence)).toThrow(/4 bytes/);
  });
});

describe('bundle key confirmation', () => {
  const bundleId = randomBytes(16).toString('hex');
  const materials = [randomBytes(32), randomBytes(32)];
  const file = Buffer.from('bundle file bytes');

  it('derives Kb from every material in order, the bundle id and the device id', () => {
    const kb = bundleConfirmationKey('uv-1', bundleId, materials);
    expect(kb).toHaveLength(32);
    expect(bundleConfirmationKey('uv-1', bundleId, materials).equals(kb)).toBe(true);
    expect(bundleConfirmationKey('uv-1', bundleId, [materials[1]!, materials[0]!]).equals(kb)).toBe(false);
    expect(bundleConfirmationKey('uv-1', bundleId, [materials[0]!]).equals(kb)).toBe(false);
    expect(bundleConfirmationKey('uv-2', bundleId, materials).equals(kb)).toBe(false);
    expect(bundleConfirmationKey('uv-1', randomBytes(16).toString('hex'), materials).equals(kb)).toBe(false);
    // The inputs themselves are left intact (the caller zeroes them).
    expect(materials.every((m) => m.some((b) => b !== 0))).toBe(true);
  });

  it('binds the INSTALLED MAC to the file and the DONE MAC to the file and the robot MAC', () => {
    const kb = bundleConfirmationKey('uv-1', bundleId, materials);
    const h = bundleFileHash(file);
    const mac = installedMac(kb, h);
    expect(installedMac(kb, bundleFileHash(Buffer.from('other file'))).equals(mac)).toBe(false);
    expect(installedMac(randomBytes(32), h).equals(mac)).toBe(false);
    const done = distributionDoneMac(kb, h, mac);
    expect(done.equals(mac)).toBe(false);
    expect(distributionDoneMac(kb, h, randomBytes(32)).equals(done)).toBe(false);
  });
});
