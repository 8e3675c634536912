import { join } from 'node:path';

/**
 * What the gateway keeps in its data directory, by name: the server writes these files and the CLI
 * reads them, so both take the names from here rather than from each other's code.
 */
export const ADMIN_TOKEN_FILE = 'admin.token';

/** The development CA's certificate, written when `tls: auto`. */
export function devCaFile(dataDir: string): string {
  return join(dataDir, 'tls', 'ca.pem');
}
