/** A consumer's request signing key as the admin API shows it (never its secret). */
export const signingKeyView = (record: { id: string; consumerId: string; algorithm: string; createdAt: Date }) => ({
  keyId: record.id,
  consumerId: record.consumerId,
  algorithm: record.algorithm,
  createdAt: record.createdAt.toISOString(),
});
