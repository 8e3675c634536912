/**
 * @portcullis/client: the SDK arrives in its own issue. Until then it offers the one piece an integrator
 * can already use: recognising a Portcullis credential (e.g. to refuse one pasted into a config file).
 */
export { findCredentials, parseCredential, CREDENTIAL_PATTERN } from '@portcullis/protocol';
export type { FoundCredential } from '@portcullis/protocol';
