// The CLI file benchmark's baseline, run as its own process: a plain node:crypto streaming AES-256-GCM pipeline
// (read stream -> cipher -> write stream, then back through a decipher), one key, one nonce, one tag, no chunking,
// no key service and no fsync. Prints the peak resident size of the process (KiB) on its last line.
import crypto from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

const [input, sealed, opened] = process.argv.slice(2) as [string, string, string];
const key = crypto.randomBytes(32);
const iv = crypto.randomBytes(12);
const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
await pipeline(createReadStream(input), cipher, createWriteStream(sealed));
const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv);
decipher.setAuthTag(cipher.getAuthTag());
await pipeline(createReadStream(sealed), decipher, createWriteStream(opened));
console.log(`maxrss_kb=${process.resourceUsage().maxRSS}`);
