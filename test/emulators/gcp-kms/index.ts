// Google Cloud KMS emulator: a gRPC server (@grpc/grpc-js) on 127.0.0.1 serving google.cloud.kms.v1.KeyManagementService
// from the .proto files that ship with @google-cloud/kms, with the service's resource-name rules, status codes, limits
// and CRC32C protocol. Started by the tests on a free port. Every call must carry the routing header the client
// library sends (x-goog-request-params) naming the same resource as the request; IAM is emulated by a set of granted
// permissions (all by default; revoke one to get PERMISSION_DENIED). No credentials are exchanged: the channel is
// plaintext on loopback. FaultControls inject latency, RESOURCE_EXHAUSTED, UNAVAILABLE/INTERNAL, dropped connections
// and outages; the integrity switch corrupts responses. With `tls` and `serviceAccounts` it serves TLS and requires
// the self-signed service-account JWT the client library sends for a key file (UNAUTHENTICATED otherwise).
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { Clock } from '../../../electron/clock.ts';
import { faultControls, newFaultState, nextFault, type FaultControls } from '../faults.ts';
import { createResponseChecker, type ResponseChecks } from '../schemaCheck.ts';
import { adminHandlers, type Handler } from './adminHandlers.ts';
import { cryptoHandlers, type Corruption } from './cryptoHandlers.ts';
import type { Msg } from './messages.ts';
import { createJwtCheck } from './auth.ts';
import { startTcpFront } from './proxy.ts';
import { errorProblems, replyProblems } from './responseSchemas.ts';
import { RpcError, rpc, toServiceError } from './status.ts';
import { createStore } from './store.ts';

export interface GcpKmsEmulatorOptions {
  /** Drives create/destroy times, scheduled destruction and automatic rotation (default: system clock). */
  clock?: Clock;
  /** Asymmetric versions stay PENDING_GENERATION this long, as in the service (default 30 ms). */
  generationDelayMs?: number;
  /** Serve TLS with this certificate (SAN IP:127.0.0.1) instead of plaintext. */
  tls?: { certPem: string; keyPem: string };
  /** Require a self-signed service-account JWT from one of these accounts (email -> public key PEM). */
  serviceAccounts?: Readonly<Record<string, string>>;
  /** Check every reply against the Cloud KMS protos (default true; responseSchemas.ts). */
  checkResponses?: boolean;
}

export interface GcpKmsEmulator {
  /** "http://127.0.0.1:PORT", or https with tls (the adapter's endpoint setting). */
  endpoint: string;
  host: string;
  port: number;
  faults: FaultControls;
  /** What the response-schema checks saw (counts per method, violations). */
  responses: ResponseChecks;
  /** The next responses of Encrypt / Decrypt / AsymmetricSign / GetPublicKey are corrupted this way, one per call. */
  corruptNext(kind: Corruption, count?: number): void;
  /** Emulated IAM: revoke / grant a permission such as "cloudkms.cryptoKeyVersions.useToEncrypt". */
  revoke(permission: string): void;
  grant(permission: string): void;
  close(): Promise<void>;
}

function loadService(): grpc.ServiceDefinition {
  const require = createRequire(import.meta.url);
  const kmsRoot = path.dirname(require.resolve('@google-cloud/kms/package.json'));
  // google-gax exports no package.json: from its entry point (build/src/index.js) to build/protos.
  const gaxProtos = path.resolve(path.dirname(createRequire(path.join(kmsRoot, 'package.json')).resolve('google-gax')), '../protos');
  const def = protoLoader.loadSync('google/cloud/kms/v1/service.proto', {
    includeDirs: [path.join(kmsRoot, 'build/protos'), gaxProtos],
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { google: { cloud: { kms: { v1: { KeyManagementService: { service: grpc.ServiceDefinition } } } } } };
  return pkg.google.cloud.kms.v1.KeyManagementService.service;
}

function routingParams(metadata: grpc.Metadata): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of metadata.get('x-goog-request-params')) {
    for (const part of String(raw).split('&')) {
      const eq = part.indexOf('=');
      if (eq > 0) out.set(decodeURIComponent(part.slice(0, eq)), decodeURIComponent(part.slice(eq + 1)));
    }
  }
  return out;
}

export async function startGcpKmsEmulator(options: GcpKmsEmulatorOptions = {}): Promise<GcpKmsEmulator> {
  const clock = options.clock ?? { now: () => Date.now() };
  const now = () => clock.now();
  const store = createStore(now, options.generationDelayMs ?? 30);
  const integrity = { next: [] as Corruption[] };
  const handlers: Record<string, Handler> = { ...adminHandlers(store, now, crypto.randomBytes(32)), ...cryptoHandlers(store, integrity) };
  const revoked = new Set<string>();
  const fault = newFaultState();
  const service = loadService();
  const authenticate = options.serviceAccounts ? createJwtCheck(options.serviceAccounts, now) : null;
  // Set once the TCP front is up; calls cannot arrive before that.
  const front: { dropPeer(port: number): void } = { dropPeer: () => undefined };

  function serve(method: string, call: grpc.ServerUnaryCall<Msg, Msg>): Msg {
    const handler = Object.hasOwn(handlers, method) ? handlers[method]! : null;
    if (!handler) throw new RpcError(grpc.status.UNIMPLEMENTED, `Method ${method} is not implemented by the emulator.`);
    authenticate?.(call.metadata);
    const resource = handler.resource(call.request);
    const routed = routingParams(call.metadata).get(handler.routingKey);
    if (routed === undefined) throw rpc.invalid(`Missing routing header x-goog-request-params (${handler.routingKey}).`);
    if (routed !== (resource ?? '')) throw rpc.invalid(`The routing header names ${routed} but the request names ${String(resource)}.`);
    if (revoked.has(handler.permission)) throw rpc.denied(handler.permission, String(resource));
    store.tick();
    return handler.handle(call.request);
  }

  const responses = createResponseChecker(options.checkResponses ?? true);
  /** The reply as the protos allow it, or an INTERNAL error naming how it drifts. */
  function checked(method: string, reply: Msg): Msg {
    responses.takeCorruption(method, reply);
    const violation = responses.record(method, replyProblems(method, reply));
    if (violation) throw new RpcError(grpc.status.INTERNAL, violation);
    return reply;
  }

  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, def] of Object.entries(service)) {
    if (def.requestStream || def.responseStream) continue;
    implementation[method] = (call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) => {
      const requestId = crypto.randomUUID();
      const kind = nextFault(fault);
      const respond = () => {
        if (kind === 'drop') {
          const peer = call.getPeer();
          front.dropPeer(Number(peer.slice(peer.lastIndexOf(':') + 1)));
          return;
        }
        try {
          if (kind === 'throttle') throw rpc.exhausted();
          if (kind === 'fail') throw fault.failStatus === 500 ? rpc.internal() : rpc.unavailable();
          callback(null, checked(method, serve(method, call)));
        } catch (e) {
          const error = toServiceError(e, requestId);
          if (!(e instanceof RpcError && e.message.startsWith('emulator response violates schema'))) responses.record(method, errorProblems(error.code, error.details));
          callback(error, null);
        }
      };
      if (fault.latencyMs > 0) setTimeout(respond, fault.latencyMs);
      else respond();
    };
  }

  const server = new grpc.Server();
  server.addService(service, implementation);
  const backendPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', options.tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(options.tls.certPem), private_key: Buffer.from(options.tls.keyPem) }]) : grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
  const tcp = await startTcpFront(backendPort);
  front.dropPeer = (p) => tcp.dropPeer(p);

  const faults = faultControls(fault, {
    down: () => tcp.down(),
    up: () => tcp.up(),
    onReset: () => void (integrity.next.length = 0),
  });


  return {
    endpoint: `${options.tls ? 'https' : 'http'}://127.0.0.1:${tcp.port}`,
    host: '127.0.0.1',
    port: tcp.port,
    faults,
    responses,
    corruptNext: (kind, count = 1) => {
      for (let i = 0; i < count; i++) integrity.next.push(kind);
    },
    revoke: (p) => void revoked.add(p),
    grant: (p) => void revoked.delete(p),
    async close() {
      await tcp.close();
      server.forceShutdown();
    },
  };
}
