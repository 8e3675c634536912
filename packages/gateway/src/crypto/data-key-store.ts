import type { Sql } from '../store/sql.js';

/** One row of `data_keys` (created by the store's migration 1). `wrapped` is never the raw key. */
export interface DataKeyRecord {
  id: string;
  masterKeyId: string;
  wrapped: Buffer;
  active: boolean;
  createdAt: Date;
}

type Row = {
  id: string;
  master_key_id: string;
  wrapped: Uint8Array;
  active: boolean;
  created_at: Date | string;
};

const COLUMNS = 'id, master_key_id, wrapped, active, created_at';

export async function findActiveDataKey(sql: Sql): Promise<DataKeyRecord | undefined> {
  const rows = await sql.query<Row>(`SELECT ${COLUMNS} FROM data_keys WHERE active`);
  return rows[0] && toRecord(rows[0]);
}

export async function findDataKey(sql: Sql, id: string): Promise<DataKeyRecord | undefined> {
  const rows = await sql.query<Row>(`SELECT ${COLUMNS} FROM data_keys WHERE id = $1`, [id]);
  return rows[0] && toRecord(rows[0]);
}

export async function listDataKeyRecords(sql: Sql): Promise<DataKeyRecord[]> {
  const rows = await sql.query<Row>(`SELECT ${COLUMNS} FROM data_keys ORDER BY created_at, id`);
  return rows.map(toRecord);
}

/**
 * Inserts the first active key unless another instance got there first: the partial unique index
 * admits one active row, and DO NOTHING turns the race into "not inserted" instead of an error.
 */
export async function insertFirstActiveDataKey(sql: Sql, id: string, masterKeyId: string, wrapped: Buffer): Promise<boolean> {
  const rows = await sql.query(
    `INSERT INTO data_keys (id, master_key_id, wrapped, active) VALUES ($1, $2, $3, true)
     ON CONFLICT (active) WHERE active DO NOTHING RETURNING id`,
    [id, masterKeyId, wrapped],
  );
  return rows.length === 1;
}

/**
 * Serialises keyring writers (rotate, rewrap) across instances while leaving plain reads free:
 * SHARE ROW EXCLUSIVE conflicts with itself and with writes, not with SELECT. Call inside a transaction.
 */
export async function lockDataKeys(sql: Sql): Promise<void> {
  await sql.query('LOCK TABLE data_keys IN SHARE ROW EXCLUSIVE MODE');
}

export async function replaceActiveDataKey(sql: Sql, id: string, masterKeyId: string, wrapped: Buffer): Promise<void> {
  await sql.query('UPDATE data_keys SET active = false WHERE active');
  await sql.query('INSERT INTO data_keys (id, master_key_id, wrapped, active) VALUES ($1, $2, $3, true)', [
    id,
    masterKeyId,
    wrapped,
  ]);
}

export async function updateWrappedDataKey(sql: Sql, id: string, masterKeyId: string, wrapped: Buffer): Promise<void> {
  await sql.query('UPDATE data_keys SET master_key_id = $2, wrapped = $3 WHERE id = $1', [id, masterKeyId, wrapped]);
}

function toRecord(row: Row): DataKeyRecord {
  return {
    id: row.id,
    masterKeyId: row.master_key_id,
    // pg returns a Buffer, PGlite a Uint8Array.
    wrapped: Buffer.from(row.wrapped),
    active: row.active,
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(row.created_at),
  };
}
