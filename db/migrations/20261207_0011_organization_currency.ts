import type { Kysely } from 'kysely'
import { runStatements } from '../ddl.js'

// Money: every organization records and sums its costs in one currency (ISO 4217). Work orders
// copy it when they open, so changing it later leaves past orders as they were.

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    "ALTER TABLE organizations ADD COLUMN currency text NOT NULL DEFAULT 'USD'",
    "ALTER TABLE organizations ADD CONSTRAINT organizations_currency_format CHECK (currency ~ '^[A-Z]{3}$')"
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, ['ALTER TABLE organizations DROP COLUMN currency'])
}
