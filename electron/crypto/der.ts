// Minimal DER writing (X.690) for the one place where the asn1 library's object model is too slow: a CRL's list of
// revoked certificates, which can hold tens of thousands of entries (an emergency run revoking a fleet). Each entry
// is a few dozen bytes of fixed shape, so it is written directly; everything else of the CRL stays with the library.

/** A definite-form DER length: short form below 128, else 0x80 | the count of big-endian length bytes. */
export function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** How many bytes a TLV of a single-byte tag and `length` content bytes takes before its content. */
export function derHeaderSize(length: number): number {
  if (length < 0x80) return 2;
  let n = 2;
  for (let v = length; v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

/** Writes the tag and length of a TLV into `out` at `at` (derHeaderSize(length) bytes); answers where its content starts. */
export function putDerHeader(out: Buffer, at: number, tag: number, length: number): number {
  out[at] = tag;
  if (length < 0x80) {
    out[at + 1] = length;
    return at + 2;
  }
  const count = derHeaderSize(length) - 2;
  out[at + 1] = 0x80 | count;
  for (let i = count, v = length; i >= 1; i--, v = Math.floor(v / 256)) out[at + 1 + i] = v & 0xff;
  return at + 2 + count;
}

/** One TLV of a single-byte tag. */
export function derTlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

/** The children of a constructed TLV (single-byte tags, definite lengths): where each starts and ends in `der`. */
export function derChildren(der: Buffer): Array<{ tag: number; start: number; end: number }> {
  const { contentStart, end } = derHeader(der, 0);
  const out: Array<{ tag: number; start: number; end: number }> = [];
  for (let at = contentStart; at < end; ) {
    const child = derHeader(der, at);
    out.push({ tag: der[at]!, start: at, end: child.end });
    at = child.end;
  }
  return out;
}

function derHeader(der: Buffer, at: number): { contentStart: number; end: number } {
  const first = der[at + 1];
  if (first === undefined) throw new Error('DER: truncated header');
  if (first < 0x80) return { contentStart: at + 2, end: at + 2 + first };
  const count = first & 0x7f;
  if (count === 0 || count > 4) throw new Error('DER: unsupported length');
  let len = 0;
  for (let i = 0; i < count; i++) len = len * 256 + der[at + 2 + i]!;
  const contentStart = at + 2 + count;
  if (contentStart + len > der.length) throw new Error('DER: length beyond the data');
  return { contentStart, end: contentStart + len };
}

const TWO = (n: number) => String(n).padStart(2, '0');

/**
 * RFC 5280 4.1.2.5: UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime (YYYYMMDDHHMMSSZ) from 2050; whole
 * seconds only (null otherwise: the caller then leaves the entry to the library).
 */
export function derTime(d: Date): Buffer | null {
  if (d.getUTCMilliseconds() !== 0) return null;
  const y = d.getUTCFullYear();
  const rest = `${TWO(d.getUTCMonth() + 1)}${TWO(d.getUTCDate())}${TWO(d.getUTCHours())}${TWO(d.getUTCMinutes())}${TWO(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y <= 2049) return derTlv(0x17, Buffer.from(`${TWO(y % 100)}${rest}`, 'latin1'));
  if (y >= 2050 && y <= 9999) return derTlv(0x18, Buffer.from(`${y}${rest}`, 'latin1'));
  return null;
}
