import { generateSecret, generateURI, verify } from 'otplib';

/**
 * TOTP (RFC 6238) through otplib: 6 digits, 30 s steps, one step of clock drift either way. The time
 * step of each accepted code is kept, and only later steps are accepted afterwards, so a code seen
 * over a shoulder or in a proxy log cannot be used a second time (RFC 6238 §5.2).
 */
const PERIOD = 30;
const TOLERANCE = PERIOD;

export function newTotpSecret(): string {
  return generateSecret();
}

export function totpUri(secret: string, username: string, issuer: string): string {
  return generateURI({ issuer, label: username, secret });
}

/** The accepted time step, or undefined: a wrong code, or one at or before `lastStep`. */
export async function checkTotp(secret: string, code: string, nowMs: number, lastStep: number | undefined): Promise<number | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(nowMs / 1000),
    epochTolerance: TOLERANCE,
    ...(lastStep === undefined ? {} : { afterTimeStep: lastStep }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}
