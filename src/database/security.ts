import { type Kysely, sql } from 'kysely'
import type { Database } from './schema.js'

// PostgreSQL never applies row-level security to superusers and BYPASSRLS roles: connected as
// one, the write policies (migration 0009) are silently skipped. Start-up says so, once.

export interface DatabaseRole {
  name: string
  /** False when the role bypasses row-level security. */
  policiesApply: boolean
}

export async function databaseRole (db: Kysely<Database>): Promise<DatabaseRole> {
  const { rows } = await sql<{ name: string, bypass: boolean }>`
    select current_user as name, rolsuper or rolbypassrls as bypass from pg_roles where rolname = current_user`.execute(db)
  const row = rows[0] as { name: string, bypass: boolean }
  return { name: row.name, policiesApply: !row.bypass }
}
