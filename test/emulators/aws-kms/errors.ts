// KMS error shapes as the service sends them: a JSON body {"__type", "message"} and an HTTP status.
// Client errors are 400 in KMS's JSON protocol; internal errors 500.

export class KmsServiceError extends Error {
  readonly type: string;
  readonly status: number;

  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = 'KmsServiceError';
    this.type = type;
    this.status = status;
  }
}

export const kmsErr = {
  validation: (m: string) => new KmsServiceError('ValidationException', m),
  notFound: (m: string) => new KmsServiceError('NotFoundException', m),
  disabled: (m: string) => new KmsServiceError('DisabledException', m),
  invalidState: (m: string) => new KmsServiceError('KMSInvalidStateException', m),
  invalidKeyUsage: (m: string) => new KmsServiceError('InvalidKeyUsageException', m),
  unsupported: (m: string) => new KmsServiceError('UnsupportedOperationException', m),
  invalidCiphertext: (m = 'The ciphertext is invalid or does not match the key or encryption context.') =>
    new KmsServiceError('InvalidCiphertextException', m),
  incorrectKey: (m: string) => new KmsServiceError('IncorrectKeyException', m),
  invalidSignature: () => new KmsServiceError('KMSInvalidSignatureException', 'The signature is not valid for this message and key.'),
  invalidArn: (m: string) => new KmsServiceError('InvalidArnException', m),
  invalidAliasName: (m: string) => new KmsServiceError('InvalidAliasNameException', m),
  alreadyExists: (m: string) => new KmsServiceError('AlreadyExistsException', m),
  invalidMarker: (m: string) => new KmsServiceError('InvalidMarkerException', m),
  limitExceeded: (m: string) => new KmsServiceError('LimitExceededException', m),
  serialization: (m: string) => new KmsServiceError('SerializationException', m),
  unknownOperation: () => new KmsServiceError('UnknownOperationException', 'The requested operation is not known.'),
  throttling: () => new KmsServiceError('ThrottlingException', 'Rate exceeded'),
  internal: (status = 500) =>
    status === 503
      ? new KmsServiceError('ServiceUnavailableException', 'The service is temporarily unavailable.', 503)
      : new KmsServiceError('KMSInternalException', 'An internal error occurred.', status),
  // Authentication
  invalidSignatureAuth: (m: string) => new KmsServiceError('InvalidSignatureException', m),
  unrecognizedClient: (m = 'The security token included in the request is invalid.') => new KmsServiceError('UnrecognizedClientException', m),
  missingAuth: () => new KmsServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token'),
  incompleteSignature: (m: string) => new KmsServiceError('IncompleteSignatureException', m),
  accessDenied: (m: string) => new KmsServiceError('AccessDeniedException', m),
};
