// The X.509 helpers that need no ASN.1 library. Kept apart from x509Sign.ts / fleetCaProfiles.ts so the modules that
// start with the console (app.ts, caTransition.ts, robotRevocation.ts) do not load @peculiar/* and reflect-metadata:
// those load with the fleet CA, on first use (fleetCaService.ts), and every major GC marks what is loaded.

/** DER to PEM with lines of 64 characters. */
export function toPem(der: Buffer, label: 'CERTIFICATE' | 'X509 CRL'): string {
  // Lines of 64 characters cut by slicing: a regular expression over a 10,000-entry CRL (~0.5 MB) cost ~10 ms.
  const b64 = der.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Whole seconds: X.509 times carry no fractions. */
export function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}
