import type * as Otplib from 'otplib';

/**
 * TOTP (RFC 6238) through otplib: 6 digits, 30 s steps, one step of clock drift either way. The time
 * step of each accepted code is kept, and only later steps are accepted afterwards, so a code seen
 * over a shoulder or in a proxy log cannot be used a second time (RFC 6238 §5.2).
 */
const PERIOD = 30;
const TOLERANCE = PERIOD;

/** Loaded by the first enrolment or code check, not at start-up (start-up time). */
let otplib: Promise<typeof Otplib> | undefined;
const loadOtplib = (): Promise<typeof Otplib> => (otplib ??= import('otplib'));

export async function newTotpSecret(): Promise<string> {
  return (await loadOtplib()).generateSecret();
}

export async function totpUri(secret: string, username: string, issuer: string): Promise<string> {
  return (await loadOtplib()).generateURI({ issuer, label: username, secret });
}

/** The accepted time step, or undefined: a wrong code, or one at or before `lastStep`. */
export async function checkTotp(secret: string, code: string, nowMs: number, lastStep: number | undefined): Promise<number | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  const { verify } = await loadOtplib();
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(nowMs / 1000),
    epochTolerance: TOLERANCE,
    ...(lastStep === undefined ? {} : { afterTimeStep: lastStep }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}
