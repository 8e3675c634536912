export { BASE62_ALPHABET, decodeBase62, encodeBase62, randomBase62 } from './base62.js';
export {
  CREDENTIAL_CHECKSUM_LENGTH,
  CREDENTIAL_ID_LENGTH,
  CREDENTIAL_PATTERN,
  CREDENTIAL_PREFIXES,
  CREDENTIAL_SECRET_LENGTH,
  findCredentials,
  generateCredential,
  parseCredential,
} from './credential-format.js';
export type { CredentialKind, CredentialParseResult, FoundCredential, ParsedCredential } from './credential-format.js';
export { PROBLEM_CODES, PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_PREFIX, problemCodeOf, problemType } from './problem.js';
export type { ProblemCode, ProblemDetails } from './problem.js';
export { contentDigest, parseContentDigest } from './signatures/content-digest.js';
export type { DigestAlgorithm, ExpectedDigest } from './signatures/content-digest.js';
export { SignatureBaseError, signatureBase } from './signatures/signature-base.js';
export type { SignableRequest } from './signatures/signature-base.js';
export {
  SIGNATURE_ALGORITHMS,
  SIGNATURE_CLOCK_SKEW_SECONDS,
  signRequest,
  verifyRequestSignature,
} from './signatures/message-signature.js';
export type {
  KeyLookup,
  SignatureAlgorithm,
  SignatureFailure,
  SignatureHeaders,
  SignatureVerification,
  SigningKey,
  SignOptions,
  VerifyOptions,
} from './signatures/message-signature.js';
export { formatRateLimit, formatRateLimitPolicy, parseRateLimit, parseRateLimitPolicy } from './rate-limit-headers.js';
export type { RateLimitPolicy, RateLimitState } from './rate-limit-headers.js';
