// google.rpc status codes as the service returns them (gRPC status + details text).
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';

export class RpcError extends Error {
  readonly code: Status;
  constructor(code: Status, details: string) {
    super(details);
    this.code = code;
  }
}

export const rpc = {
  invalid: (details: string) => new RpcError(Status.INVALID_ARGUMENT, details),
  notFound: (name: string) => new RpcError(Status.NOT_FOUND, `${name} not found.`),
  exists: (name: string) => new RpcError(Status.ALREADY_EXISTS, `${name} already exists.`),
  precondition: (details: string) => new RpcError(Status.FAILED_PRECONDITION, details),
  denied: (permission: string, resource: string) =>
    new RpcError(Status.PERMISSION_DENIED, `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`),
  exhausted: () => new RpcError(Status.RESOURCE_EXHAUSTED, 'Quota exceeded for quota metric \'Cryptographic requests\' of service \'cloudkms.googleapis.com\'.'),
  unavailable: () => new RpcError(Status.UNAVAILABLE, 'The service is currently unavailable.'),
  internal: () => new RpcError(Status.INTERNAL, 'Internal error encountered.'),
  checksum: (field: string, dataField: string) =>
    new RpcError(Status.INVALID_ARGUMENT, `The checksum in field ${field} did not match the data in field ${dataField}.`),
};

export function toServiceError(e: unknown, requestId: string): Partial<ServiceError> {
  const err = e instanceof RpcError ? e : rpc.internal();
  const metadata = new Metadata();
  metadata.set('x-ecps-emulator-request-id', requestId);
  return { code: err.code, details: err.message, metadata };
}
