// AWS KMS emulator: an HTTP server on 127.0.0.1 speaking the AWS JSON 1.1 protocol (X-Amz-Target: TrentService.*),
// checking SigV4 against its test credentials, with the service's key-state rules, limits and error shapes.
// Started by the tests themselves on a free port; FaultControls inject latency, throttling, 5xx, drops and outages.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from '../../../electron/clock.ts';
import { faultControls, newFaultState, nextFault, type FaultControls } from '../faults.ts';
import { createResponseChecker, type ResponseChecks } from '../schemaCheck.ts';
import { cryptoHandlers, type VerifyFailureAnswer } from './cryptoHandlers.ts';
import { KmsServiceError, kmsErr } from './errors.ts';
import { keyHandlers, type Handler } from './keyHandlers.ts';
import { createKeyStore } from './keyStore.ts';
import { kmsResponseProblems } from './responseSchemas.ts';
import { verifySigV4, type TestCredentials } from './sigv4.ts';
import type { JsonBody } from './validate.ts';

export interface AwsKmsEmulatorOptions {
  credentials: TestCredentials;
  region: string;
  /** Drives key timestamps, scheduled deletion and automatic rotation (default: system clock). */
  clock?: Clock;
  /** Time the SigV4 skew check compares against (default: system clock, as the real service does). */
  signatureClock?: Clock;
  accountId?: string;
  /** Check every response against the AWS KMS API Reference (default true; responseSchemas.ts). */
  checkResponses?: boolean;
}

export interface AwsKmsEmulator {
  endpoint: string;
  port: number;
  faults: FaultControls;
  /** What the response-schema checks saw (counts per action, violations). */
  responses: ResponseChecks;
  /** How Verify answers a signature that does not verify (default 'service': KMSInvalidSignatureException). */
  setVerifyFailureAnswer(answer: VerifyFailureAnswer): void;
  /** Test-only: EnableKeyRotation keeps 365 days whatever RotationPeriodInDays says (to prove read-back catches it). */
  setIgnoreRotationPeriod(on: boolean): void;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
const JSON_11 = 'application/x-amz-json-1.1';

export async function startAwsKmsEmulator(options: AwsKmsEmulatorOptions): Promise<AwsKmsEmulator> {
  const clock = options.clock ?? { now: () => Date.now() };
  const sigClock = options.signatureClock ?? { now: () => Date.now() };
  const accountId = options.accountId ?? '111122223333';
  const store = createKeyStore(options.region, accountId, () => clock.now());
  let verifyFailureAnswer: VerifyFailureAnswer = 'service';
  const quirks = { ignoreRotationPeriod: false };
  const handlers: Record<string, Handler> = { ...keyHandlers(store, accountId, () => clock.now(), quirks), ...cryptoHandlers(store, () => verifyFailureAnswer) };
  const fault = newFaultState();
  const sockets = new Set<Socket>();

  const responses = createResponseChecker(options.checkResponses ?? true);
  const actionOf = (req: http.IncomingMessage) => {
    const target = req.headers['x-amz-target'];
    return typeof target === 'string' && target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : '(no action)';
  };
  const send = (req: http.IncomingMessage, res: http.ServerResponse, requestId: string, status: number, body: unknown) => {
    const action = actionOf(req);
    if (status === 200) responses.takeCorruption(action, body);
    const violation = responses.record(action, kmsResponseProblems(action, status, body));
    if (violation) [status, body] = [500, { __type: 'KMSInternalException', message: violation }];
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': JSON_11, 'x-amzn-RequestId': requestId, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const sendError = (req: http.IncomingMessage, res: http.ServerResponse, requestId: string, e: KmsServiceError) =>
    send(req, res, requestId, e.status, { __type: e.type, message: e.message });

  function serve(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse, requestId: string): void {
    try {
      if (req.method !== 'POST') throw kmsErr.unknownOperation();
      verifySigV4({ method: req.method, url: req.url ?? '/', rawHeaders: req.rawHeaders, body }, options.credentials, options.region, sigClock.now());
      const target = req.headers['x-amz-target'];
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (typeof target !== 'string' || !target.startsWith('TrentService.') || contentType !== JSON_11) throw kmsErr.unknownOperation();
      const handler = Object.hasOwn(handlers, target.slice('TrentService.'.length)) ? handlers[target.slice('TrentService.'.length)] : undefined;
      if (!handler) throw kmsErr.unknownOperation();
      let parsed: unknown;
      try {
        parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw kmsErr.serialization('The request body is not valid JSON.');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw kmsErr.serialization('The request body must be a JSON object.');
      store.tick();
      send(req, res, requestId, 200, handler(parsed as JsonBody));
    } catch (e) {
      sendError(req, res, requestId, e instanceof KmsServiceError ? e : kmsErr.internal());
    }
  }

  const server = http.createServer((req, res) => {
    const requestId = crypto.randomUUID();
    const kind = nextFault(fault);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      const respond = () => {
        if (kind === 'drop') return req.socket.destroy();
        if (kind === 'throttle') return sendError(req, res, requestId, kmsErr.throttling());
        if (kind === 'fail') return sendError(req, res, requestId, kmsErr.internal(fault.failStatus));
        if (tooBig) return sendError(req, res, requestId, kmsErr.validation('The request body is too large.'));
        serve(req, Buffer.concat(chunks), res, requestId);
      };
      if (fault.latencyMs > 0) setTimeout(respond, fault.latencyMs);
      else respond();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });

  const port = await listen(0);
  const faults = faultControls(fault, {
    down: stop,
    up: async () => {
      if (!server.listening) await listen(port);
    },
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    faults,
    responses,
    setVerifyFailureAnswer: (answer) => void (verifyFailureAnswer = answer),
    setIgnoreRotationPeriod: (on) => void (quirks.ignoreRotationPeriod = on),
    close: stop,
  };
}
