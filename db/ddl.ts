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
