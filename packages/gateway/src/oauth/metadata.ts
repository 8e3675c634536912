import { ACCESS_TOKEN_ALGORITHMS } from '../credentials/signing-keys.js';
import { CLIENT_ASSERTION_ALGORITHMS } from '../credentials/clients.js';

export const TOKEN_PATH = '/oauth/token';
export const REVOKE_PATH = '/oauth/revoke';
export const INTROSPECT_PATH = '/oauth/introspect';
export const JWKS_PATH = '/.well-known/jwks.json';
export const METADATA_PATH = '/.well-known/oauth-authorization-server';

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

/** RFC 8414 authorization server metadata, served at /.well-known/oauth-authorization-server. */
export const AUTHORIZE_PATH = '/oauth/authorize';

export function authorizationServerMetadata(issuer: string, authorizationCode: boolean) {
  const auth = {
    methods: CLIENT_AUTH_METHODS,
    algs: CLIENT_ASSERTION_ALGORITHMS,
  };
  return {
    issuer,
    token_endpoint: `${issuer}${TOKEN_PATH}`,
    jwks_uri: `${issuer}${JWKS_PATH}`,
    revocation_endpoint: `${issuer}${REVOKE_PATH}`,
    introspection_endpoint: `${issuer}${INTROSPECT_PATH}`,
    ...(authorizationCode
      ? {
          authorization_endpoint: `${issuer}${AUTHORIZE_PATH}`,
          grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token'],
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'], // RFC 9700 §2.1.1: no "plain"
          authorization_response_iss_parameter_supported: true, // RFC 9207, against mix-up attacks
        }
      : { grant_types_supported: ['client_credentials'], response_types_supported: [] }),
    token_endpoint_auth_methods_supported: auth.methods,
    token_endpoint_auth_signing_alg_values_supported: auth.algs,
    revocation_endpoint_auth_methods_supported: auth.methods,
    revocation_endpoint_auth_signing_alg_values_supported: auth.algs,
    introspection_endpoint_auth_methods_supported: auth.methods,
    introspection_endpoint_auth_signing_alg_values_supported: auth.algs,
    // Not standard in RFC 8414, but what resource servers look for: how access tokens are signed.
    access_token_signing_alg_values_supported: ACCESS_TOKEN_ALGORITHMS,
    dpop_signing_alg_values_supported: auth.algs, // RFC 9449 §5.1
  };
}
