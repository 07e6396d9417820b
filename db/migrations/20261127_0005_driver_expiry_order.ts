import type { Kysely } from 'kysely'
import { runStatements } from '../ddl.js'

// Ordering drivers by licence expiry now keeps drivers without an expiry date, sorting them as
// if it were infinitely far away: the keyset runs on coalesce(license_expires_at, 'infinity'),
// which needs an index on that expression. (The plain index stays for the expiry filter.)

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    `CREATE INDEX drivers_license_expiry_order ON drivers (
       organization_id, coalesce(license_expires_at, 'infinity'::timestamptz), id
     )`
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, ['DROP INDEX drivers_license_expiry_order'])
}
