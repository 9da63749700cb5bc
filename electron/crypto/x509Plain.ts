// The X.509 helpers that need no ASN.1 library. Kept apart from x509Sign.ts / fleetCaProfiles.ts so the modules that
// start with the console (app.ts, caTransition.ts, robotRevocation.ts) do not load @peculiar/* and reflect-metadata:
// those load with the fleet CA, on first use (fleetCaService.ts), and every major GC marks what is loaded.

/** DER to PEM with lines of 64 characters. */
export function toPem(der: Buffer, label: 'CERTIFICATE' | 'X509 CRL'): string {
  // Written into one buffer, 48 bytes (one line of 64 characters) at a time: slicing the base64 of a 10,000-entry CRL
  // (~0.5 MB) into lines and joining them took 10-15 ms, a regular expression before that ~10 ms.
  const head = `-----BEGIN ${label}-----\n`;
  const foot = `-----END ${label}-----\n`;
  const lines = Math.ceil(der.length / 48);
  const out = Buffer.allocUnsafe(head.length + Math.ceil(der.length / 3) * 4 + Math.max(lines, 1) + foot.length);
  let at = out.write(head, 0, 'latin1');
  for (let i = 0; i < der.length; i += 48) {
    at += out.write(der.toString('base64', i, Math.min(i + 48, der.length)), at, 'latin1');
    out[at++] = 0x0a;
  }
  // No content: an empty line between the armour lines, as the lines' join gave.
  if (der.length === 0) out[at++] = 0x0a;
  at += out.write(foot, at, 'latin1');
  return out.toString('latin1', 0, at);
}

/** Whole seconds: X.509 times carry no fractions. */
export function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}
