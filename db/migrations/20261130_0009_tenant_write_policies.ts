import type { Kysely } from 'kysely'
import { runStatements } from '../ddl.js'

// Row-level security on writes: a second wall behind the tenant filter every statement carries
// (measured and decided in docs/security.md, "Row-level security: measured").
//
// Every transaction that writes says whose data it writes: `fleet.organization_id`, set
// transaction-locally by the statement that already tags it for the audit trail
// (src/database/audit.ts `tagTransaction`; the ingest pipeline's first statement), so the wall
// costs no round trip. `*` is the system scope (seeds, `npm run ops`, the telematics maintenance
// job). On the tables below, a row may be inserted, updated, deleted or locked for update only in
// its own organization's scope: another organization's rows are invisible to UPDATE, DELETE and
// SELECT ... FOR UPDATE, inserting one fails, and a transaction that did not say its scope writes
// nothing. Plain reads are not restricted (the `_read` policy): that measured cost bought too little.
//
// Left out: audit_log (append-only, guarded by its own trigger, written by triggers of every
// scope), refresh_tokens (a token is rotated before its organization is known) and the
// migrations' own tables. FORCE makes the policies bind the tables' owner too, so a service that
// runs migrations and serves with one role is held by them; superusers and BYPASSRLS roles are
// not (PostgreSQL never applies policies to them), which the service reports at start
// (src/database/security.ts). A later migration that changes tenant rows sets
// `select set_config('fleet.organization_id', '*', true)` first.

export const TENANT_TABLES: ReadonlyArray<{ table: string, tenant: string }> = [
  { table: 'organizations', tenant: 'id' },
  ...[
    'users', 'drivers', 'facilities', 'vehicles', 'vehicle_assignments', 'feature_flags', 'maintenance_modes',
    'device_tokens', 'positions', 'vehicle_telemetry', 'trips', 'geofences', 'vehicle_geofence_states',
    'geofence_events', 'alerts'
  ].map((table) => ({ table, tenant: 'organization_id' }))
]

const scope = "current_setting('fleet.organization_id', true)"

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, TENANT_TABLES.flatMap(({ table, tenant }) => [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY ${table}_read ON ${table} FOR SELECT USING (true)`,
    `CREATE POLICY ${table}_write ON ${table} FOR ALL USING (${scope} IN (${tenant}::text, '*')) WITH CHECK (${scope} IN (${tenant}::text, '*'))`
  ]))
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, TENANT_TABLES.flatMap(({ table }) => [
    `DROP POLICY ${table}_write ON ${table}`,
    `DROP POLICY ${table}_read ON ${table}`,
    `ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`
  ]))
}
