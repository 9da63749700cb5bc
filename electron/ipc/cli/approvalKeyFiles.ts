// The approver's side of approval files (docs/two-person-control.md), run at their own workstation without any key
// store: `approvals keygen` makes their Ed25519 approval key pair (the private key encrypted under a passphrase they
// choose), `approvals sign` approves a request file as --operator with it. The key's passphrase comes from
// ECPS_APPROVAL_KEY_PASSPHRASE, else the prompt, never argv.
import { readFile } from 'node:fs/promises';
import { ConsoleError } from '../../../shared/errors.ts';
import { generateApprovalKey, loadApprovalPrivateKey, readRequestFile, signApproval } from '../../services/approvals/approvalFile.ts';
import type { ParsedCommand } from './args.ts';
import { writeWholeFile } from './fileCrypto.ts';

export const APPROVAL_KEY_PASSPHRASE_ENV = 'ECPS_APPROVAL_KEY_PASSPHRASE';

export interface OfflineIo {
  out(line: string): void;
  /** The approval key's passphrase (with confirm: asked twice). */
  readKeyPassphrase(options: { confirm?: boolean }): Promise<string>;
  now(): Date;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new ConsoleError('not_found', `The ${what} ${path} cannot be read.`);
  }
}

export async function runOfflineApprovalCommand(parsed: ParsedCommand, io: OfflineIo): Promise<number> {
  const o = parsed.options;
  const force = o.force === true;
  const out = typeof o.out === 'string' ? o.out : '';
  if (parsed.command === 'approvals keygen') {
    const passphrase = await io.readKeyPassphrase({ confirm: true });
    if (passphrase.length < 12) throw new ConsoleError('weak_passphrase', 'The approval key passphrase must have at least 12 characters.');
    const { privatePem, publicPem } = generateApprovalKey(passphrase);
    await writeWholeFile(out, privatePem, force);
    io.out(parsed.json ? JSON.stringify({ out, publicKeyPem: publicPem }, null, 2) : `approval private key written to ${out} (keep it on this workstation); enrol this public key with "approvals enrol":\n${publicPem.trimEnd()}`);
    return 0;
  }
  const request = readRequestFile(await readText(typeof o.in === 'string' ? o.in : '', 'request file'));
  const keyPem = await readText(typeof o.key === 'string' ? o.key : '', 'approval key file');
  const key = loadApprovalPrivateKey(keyPem, await io.readKeyPassphrase({}));
  await writeWholeFile(out, signApproval(request, parsed.operator, key, io.now()), force);
  const fields = Object.entries(request.summary).map(([k, v]) => `${k}=${v}`).join(' ');
  io.out(parsed.json ? JSON.stringify({ out, requestId: request.requestId, approver: parsed.operator }, null, 2) : `approved as ${parsed.operator}: ${request.action} (${request.channel} ${fields}) requested by ${request.requester}; approval file written to ${out}`);
  return 0;
}
