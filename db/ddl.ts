import { type Kysely, sql } from 'kysely'

/**
 * Runs DDL statements one at a time, in order. Migrations are written as plain SQL so a
 * reviewer reads exactly what PostgreSQL will run; PGlite's extended protocol takes one
 * statement per query, hence the list.
 */
export async function runStatements (db: Kysely<any>, statements: readonly string[]): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db)
  }
}

/**
 * The tenant write policy of migration 0009 for a table added later (its `organization_id` says
 * whose rows they are). Frozen like the migrations that use it: a different policy is a new helper.
 */
export function tenantWritePolicy (table: string): string[] {
  const scope = "current_setting('fleet.organization_id', true)"
  return [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY ${table}_read ON ${table} FOR SELECT USING (true)`,
    `CREATE POLICY ${table}_write ON ${table} FOR ALL USING (${scope} IN (organization_id::text, '*')) WITH CHECK (${scope} IN (organization_id::text, '*'))`
  ]
}
