import type { Insertable, Kysely } from 'kysely'
import type { Database } from '../../src/database/schema.js'

// Seeds insert many rows; one statement holds at most 65,535 parameters, so they go in chunks.

export const INSERT_CHUNK = 500

/** The chunks of `rows`, in order. */
export function chunks<T> (rows: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) out.push(rows.slice(i, i + INSERT_CHUNK))
  return out
}

export async function insertChunked<T extends keyof Database> (db: Kysely<Database>, table: T, rows: Array<Insertable<Database[T]>>): Promise<void> {
  for (const chunk of chunks(rows)) await db.insertInto(table).values(chunk as never).execute()
}
