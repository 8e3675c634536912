/**
 * A setup link carries its token in the fragment: browsers never send a fragment to a server, so the
 * token stays out of request lines, proxies and access logs.
 */
export const setupView = (setup: { token: string; expiresAt: Date }) => ({ setupPath: `/console/setup#token=${setup.token}`, expiresAt: setup.expiresAt.toISOString() });
