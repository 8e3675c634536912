import { parseCredential } from '@portcullis/protocol';
import type { Rule } from '../lib/findings.js';

/**
 * What `portcullis scan` looks for in source text. Each detector has a cheap literal prefilter (most
 * files contain none of them, so most files cost one `includes` per detector) and a global pattern run
 * over the whole file; `accept` drops look-alikes. Messages never contain the matched secret.
 */
export interface SourceDetector {
  readonly rule: Rule;
  /** Literal fragments (lower case when `caseInsensitivePrefilter`): a file without any is skipped. */
  readonly prefilter: readonly string[];
  readonly caseInsensitivePrefilter?: boolean;
  readonly pattern: RegExp;
  readonly accept?: (match: RegExpExecArray) => boolean;
  readonly message: (match: RegExpExecArray) => string;
}

const SECRET_FIX = 'Remove it from the source and from history, revoke or rotate it now, and read it from the environment or a secret manager instead.';

function secretRule(id: string, what: string, severity: Rule['severity'] = 'high'): Rule {
  return {
    id: `hardcoded-credential/${id}`,
    severity,
    title: `Hardcoded ${what}`,
    explanation: `A ${what} in source code is readable by everyone with the repository, its forks, CI logs and backups; it stays in git history after deletion.`,
    fix: SECRET_FIX,
  };
}

/** base64url JSON with an `alg` member: a JOSE header, so the dotted triple is a JWT, not a lookalike. */
function isJoseHeader(segment: string): boolean {
  try {
    const header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as { alg?: unknown };
    return typeof header.alg === 'string';
  } catch {
    return false;
  }
}

/**
 * Host names that are never a real API over plain HTTP: loopback, the reserved example and test names
 * (RFC 2606, RFC 6761), and XML/JSON-schema namespace identifiers, which are names, not fetched URLs.
 */
const LOCAL_HOST = /^(localhost|127(\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\]|host\.docker\.internal)$/i;
const RESERVED_SUFFIX = /(^|\.)(example(\.(com|net|org))?|test|invalid|localhost|local)$/i;
const NAMESPACE_HOSTS = new Set([
  'www.w3.org', 'w3.org', 'json-schema.org', 'schemas.xmlsoap.org', 'schemas.microsoft.com', 'schemas.android.com',
  'purl.org', 'xmlns.com', 'ns.adobe.com', 'www.apache.org', 'opensource.org', 'www.opensource.org', 'www.gnu.org',
]);

export function isExemptHttpHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return LOCAL_HOST.test(name) || RESERVED_SUFFIX.test(name) || NAMESPACE_HOSTS.has(name);
}

export const SOURCE_DETECTORS: readonly SourceDetector[] = [
  {
    rule: secretRule('portcullis-key', 'Portcullis credential', 'critical'),
    prefilter: ['pck_', 'pca_', 'pcs_'],
    pattern: /\bpc[kas]_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}\b/g,
    // The checksum tells a real credential from an example string of the same shape.
    accept: (m) => parseCredential(m[0]).ok,
    message: (m) => `A Portcullis ${m[0].startsWith('pck') ? 'API key' : m[0].startsWith('pca') ? 'admin token' : 'client secret'} (valid checksum) is written in the source`,
  },
  {
    rule: secretRule('jwt', 'JSON Web Token'),
    prefilter: ['eyJ'],
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g,
    accept: (m) => isJoseHeader(m[0].slice(0, m[0].indexOf('.'))),
    message: () => 'A signed JWT is written in the source',
  },
  {
    rule: secretRule('private-key', 'private key', 'critical'),
    prefilter: ['PRIVATE KEY-----'],
    // A key body follows (real or escaped newlines): a bare header in a parser's test is not a key.
    pattern: /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY)-----(?:[A-Za-z0-9+/=:,-]|\s|\\[nr]){64,}/g,
    message: (m) => `A PEM ${m[1]} block is in the source`,
  },
  {
    rule: secretRule('aws-access-key', 'AWS access key id'),
    prefilter: ['AKIA', 'ASIA'],
    pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
    message: () => 'An AWS access key id is written in the source',
  },
  {
    rule: secretRule('gcp-api-key', 'Google Cloud API key'),
    prefilter: ['AIza'],
    pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g,
    message: () => 'A Google Cloud API key is written in the source',
  },
  {
    rule: secretRule('github-token', 'GitHub token'),
    prefilter: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b/g,
    message: () => 'A GitHub token is written in the source',
  },
  {
    rule: secretRule('slack-token', 'Slack token or webhook'),
    prefilter: ['xox', 'hooks.slack.com/services/'],
    pattern: /\bxox[abposr]-[0-9A-Za-z-]{10,}|https:\/\/hooks\.slack\.com\/services\/T[0-9A-Z]+\/B[0-9A-Z]+\/[0-9A-Za-z]+/g,
    message: () => 'A Slack token or incoming-webhook URL is written in the source',
  },
  {
    rule: {
      id: 'tls-validation-disabled',
      severity: 'high',
      title: 'Certificate validation turned off',
      explanation: 'Without certificate validation anyone on the network path can impersonate the server and read or change the traffic, credentials included.',
      fix: 'Turn validation back on. For a private CA, pass its certificate (Node `ca`, Python `verify="/path/ca.pem"`, Go `RootCAs`) instead of disabling checks.',
    },
    prefilter: ['rejectunauthorized', 'node_tls_reject_unauthorized', 'verify=false', 'verify = false', 'insecureskipverify'],
    caseInsensitivePrefilter: true,
    pattern: /\brejectUnauthorized["']?\s*[:=]\s*false\b|\bNODE_TLS_REJECT_UNAUTHORIZED["']?\s*[:=]\s*["']?0\b|\bverify\s*=\s*False\b|\bInsecureSkipVerify\s*:\s*true\b/g,
    message: (m) => `TLS certificate validation is disabled (${m[0].replace(/\s+/g, ' ')})`,
  },
  {
    rule: {
      id: 'plain-http-url',
      severity: 'medium',
      title: 'API URL over plain http://',
      explanation: 'Requests over plain HTTP carry credentials and data readable and changeable by anyone on the path. Loopback, reserved example/test names (RFC 2606, RFC 6761) and XML namespace identifiers are not reported.',
      fix: 'Use https:// (Portcullis serves TLS only), with certificate validation on.',
    },
    prefilter: ['http://'],
    pattern: /\bhttp:\/\/([A-Za-z0-9][A-Za-z0-9.-]*(?::\d+)?|\[[0-9A-Fa-f:.]+\](?::\d+)?)/g,
    accept: (m) => !isExemptHttpHost(m[1] as string),
    message: (m) => `Plain HTTP URL to ${m[1]}`,
  },
  {
    rule: {
      id: 'credential-in-query',
      severity: 'high',
      title: 'Credential in a URL query string',
      explanation: 'Query strings end up in server and proxy logs, browser history and Referer headers (RFC 6750 §2.3 advises against it); Portcullis refuses such requests with 400.',
      fix: 'Send the credential in the Authorization header (`Bearer`) or `X-API-Key` instead.',
    },
    prefilter: ['token=', 'key=', 'secret=', 'password='],
    caseInsensitivePrefilter: true,
    pattern: /(?:https?:\/\/|\/)[^\s'"`?]*\?(?:[^\s'"`#]*&)?(access_token|id_token|refresh_token|token|api_key|apikey|api-key|key|client_secret|secret|password)=(?=[^&\s'"`]|["'`]?\s*\+|\$\{)/gi,
    message: (m) => `A credential (\`${m[1]}\`) is sent in a query string`,
  },
  {
    rule: {
      id: 'authorization-logged',
      severity: 'high',
      title: 'Authorization header written to a log',
      explanation: 'A logged Authorization header (or a whole header object that contains it) puts live credentials into log storage, which many more people and systems can read.',
      fix: 'Log only what you need (method, path, status, request id) or redact the header (pino `redact`, a log filter) before logging.',
    },
    prefilter: ['authorization', 'headers', 'x-api-key'],
    caseInsensitivePrefilter: true,
    pattern:
      /\b(?:console\.(?:log|info|warn|error|debug|trace)|(?:logger|log|logging|self\.logger|this\.logger)\.(?:info|warn|warning|error|debug|trace|fatal|log)|print|println|fmt\.Print(?:f|ln)?|log\.Print(?:f|ln)?)\s*\([^\n;]*?(?:(?:\.|\[\s*['"`]|\(\s*['"`])(?:authorization|x-api-key)\b|\.headers\s*\)|\bheaders\s*\))/gi,
    message: () => 'A logging call prints the Authorization header or the whole request headers',
  },
];

/** Put on a line to accept what it contains, e.g. a documented test vector: `// portcullis-scan: ignore`. */
export const IGNORE_MARKER = /portcullis-scan:\s*ignore/;
