/** Saves text the main process produced (an export, a CRL) as a file through the browser's download. */
export function downloadText(fileName: string, content: string, type: string): void {
  saveBlob(fileName, new Blob([content], { type }));
}

/** Saves bytes the main process sent as base64 (a key bundle) exactly as they are: no re-encoding of the text. */
export function downloadBase64(fileName: string, base64: string, type: string): void {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  saveBlob(fileName, new Blob([bytes], { type }));
}

function saveBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked later: some browsers read the blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Lets the browser download a file the browser host streams (same origin, so its token cookie goes along). */
export function downloadFrom(path: string, fileName: string): void {
  const a = document.createElement('a');
  a.href = path;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
}

/** Saves bytes the window holds (the tester's ciphertext or plaintext) as a file, exactly as they are. */
export function downloadBytes(fileName: string, bytes: Uint8Array, type = 'application/octet-stream'): void {
  saveBlob(fileName, new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
}
