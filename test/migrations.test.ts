import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Kysely, sql } from 'kysely'
import t, { type Test } from 'tap'
import { seedDemo } from '../db/seeds/demo.js'
import { connectDatabase, type DatabaseHandle } from '../src/database/connect.js'
import type { Database } from '../src/database/schema.js'
import { createMigrator, MigrationFailure, migrateDown, migrateUp, migrationStatus, pendingMigrations } from '../src/database/migrator.js'
import { createDatabase, demoDatabase, usingPostgres } from './helpers/database.js'
import { ROOT, SEED_NOW } from './helpers/environment.js'

// Every migration must be reversible: up, down one step at a time, and up again must leave
// exactly the schema the first up built. The schema is compared through the catalogs, not
// through what the migrations say they do.

const MIGRATIONS_DIR = join(ROOT, 'db', 'migrations')
const MIGRATION_FILE = /^(\d{8})_(\d{4})_[a-z0-9_]+\.ts$/
/** Some of the tables the migrations create (later migrations add more). */
const CORE_TABLES = ['drivers', 'facilities', 'organizations', 'refresh_tokens', 'users', 'vehicle_assignments', 'vehicles']

type Fingerprint = Record<string, Array<Record<string, unknown>>>

// Objects that extensions create (btree_gist and pg_trgm put hundreds of functions and
// operators in public) are covered by `extensions`; Kysely's bookkeeping tables are not schema.
const NOT_EXTENSION_MEMBER = (classid: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${classid}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`
const NOT_KYSELY = (relname: string) => `${relname} NOT LIKE 'kysely\\_migration%'`
// Partitions of positions are data (the application creates a day's when its fixes arrive), not schema.
const NOT_PARTITION = (relname: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_class p WHERE p.relname = ${relname} AND p.relnamespace = 'public'::regnamespace AND p.relispartition)`
const TABLE_OF_OURS = (relname: string) => `${NOT_KYSELY(relname)} AND ${NOT_PARTITION(relname)}`

const CATALOG_QUERIES: Record<string, string> = {
  extensions: `
    SELECT e.extname AS name, e.extversion AS version, n.nspname AS schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    ORDER BY 1`,
  relations: `
    SELECT c.relname AS name, c.relkind AS kind
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND ${TABLE_OF_OURS('c.relname')} AND ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}
    ORDER BY 1`,
  columns: `
    SELECT c.relname AS table, a.attnum AS position, a.attname AS column,
           format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
           pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity AS identity, a.attgenerated AS generated
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
      AND ${TABLE_OF_OURS('c.relname')}
    ORDER BY 1, 2`,
  constraints: `
    SELECT c.relname AS table, k.conname AS name, k.contype AS type, pg_get_constraintdef(k.oid) AS definition,
           k.condeferrable AS deferrable, k.convalidated AS validated
    FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND ${TABLE_OF_OURS('c.relname')}
    ORDER BY 1, 2`,
  indexes: `
    SELECT tablename AS table, indexname AS name, indexdef AS definition
    FROM pg_indexes
    WHERE schemaname = 'public' AND ${TABLE_OF_OURS('tablename')}
    ORDER BY 1, 2`,
  triggers: `
    SELECT c.relname AS table, g.tgname AS name, pg_get_triggerdef(g.oid) AS definition, g.tgenabled AS enabled
    FROM pg_trigger g
    JOIN pg_class c ON c.oid = g.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND NOT g.tgisinternal AND ${NOT_PARTITION('c.relname')}
    ORDER BY 1, 2`,
  functions: `
    SELECT p.proname AS name, pg_get_function_identity_arguments(p.oid) AS arguments, pg_get_functiondef(p.oid) AS definition
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND ${NOT_EXTENSION_MEMBER('pg_proc', 'p.oid')}
    ORDER BY 1, 2`,
  rowSecurity: `
    SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND ${TABLE_OF_OURS('c.relname')}
    ORDER BY 1`,
  policies: `
    SELECT tablename AS table, policyname AS name, cmd, roles, qual, with_check
    FROM pg_policies WHERE schemaname = 'public'
    ORDER BY 1, 2`,
  types: `
    SELECT t.typname AS name, t.typtype AS kind,
           (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r', 'm') AND ${NOT_EXTENSION_MEMBER('pg_type', 't.oid')}
    ORDER BY 1`
}

/** The public schema as the catalogs describe it, comparable with t.same. */
async function fingerprint (db: Kysely<Database>): Promise<Fingerprint> {
  const result: Fingerprint = {}
  for (const [name, query] of Object.entries(CATALOG_QUERIES)) {
    result[name] = (await sql.raw<Record<string, unknown>>(query).execute(db)).rows
  }
  return result
}

const tablesOf = (print: Fingerprint) => (print.relations ?? []).filter((r) => r.kind === 'r').map((r) => r.name)

async function migrationFiles (): Promise<string[]> {
  return (await readdir(MIGRATIONS_DIR)).filter((file) => !file.startsWith('.')).sort()
}

void t.test('migration files: timestamp-prefixed, in order, each with up and down', async (t) => {
  const files = await migrationFiles()
  t.ok(files.length > 0, 'there are migrations')
  for (const file of files) {
    const match = MIGRATION_FILE.exec(file)
    // The migrator skips a file whose name does not match: it would silently never run.
    t.ok(match, `${file} is named YYYYMMDD_NNNN_description.ts`)
    if (match === null) continue
    const [, date] = match as unknown as [string, string, string]
    const day = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T00:00:00Z`)
    t.equal(day.toISOString().slice(0, 10).replaceAll('-', ''), date, `${file} starts with a real date`)
    const module = await import(pathToFileURL(join(MIGRATIONS_DIR, file)).href) as Record<string, unknown>
    t.type(module.up, 'function', `${file} exports up`)
    t.type(module.down, 'function', `${file} exports down`)
  }
  const prefixes = files.map((file) => file.slice(0, 13))
  t.equal(new Set(prefixes).size, prefixes.length, 'no two migrations share a timestamp prefix')
  const byTimestamp = [...files].sort((a, b) => Number(a.slice(0, 8) + a.slice(9, 13)) - Number(b.slice(0, 8) + b.slice(9, 13)))
  t.same([...files].sort(), byTimestamp, 'sorting by name is sorting by timestamp (the order the migrator applies them)')
})

/**
 * Up one step at a time (fingerprinting after each), down one step at a time (each must
 * restore the previous fingerprint exactly), up again (must equal the first result).
 */
async function checkReversible (t: Test, handle: DatabaseHandle): Promise<void> {
  const { db } = handle
  const names = (await migrationStatus(db)).map((m) => m.name)
  t.same(names, (await migrationFiles()).map((file) => file.replace(/\.ts$/, '')), 'the migrator runs every file, sorted by name')
  const migrator = createMigrator(db)

  const before = await fingerprint(db)
  t.same(tablesOf(before), [], 'starts from an empty database')
  const steps: Fingerprint[] = [before]
  for (const name of names) {
    const { error, results } = await migrator.migrateUp()
    t.error(error, `up ${name}`)
    t.same(results?.map((r) => [r.migrationName, r.direction, r.status]), [[name, 'Up', 'Success']], `up applies ${name} alone`)
    steps.push(await fingerprint(db))
  }
  const first = steps[steps.length - 1] as Fingerprint
  t.same(CORE_TABLES.filter((name) => !tablesOf(first).includes(name)), [], 'the application tables exist')
  for (const kind of ['columns', 'constraints', 'indexes', 'triggers', 'functions', 'extensions']) {
    t.ok((first[kind]?.length ?? 0) > 0, `the fingerprint has ${kind}`)
  }
  t.match(first.extensions, [{ name: 'btree_gist' }, { name: 'pg_trgm' }, { name: 'plpgsql' }], 'extensions installed')
  t.match(first.functions, [
    { name: 'audit_log_immutable', definition: /cannot be changed/ },
    { name: 'audit_row', definition: /INSERT INTO audit_log/ },
    { name: 'touch_row', definition: /NEW\.version := OLD\.version \+ 1/ },
    { name: 'touch_user', definition: /last_login_at/ },
    { name: 'touch_vehicle', definition: /fleet\.telemetry/ }
  ], 'our functions: the audit trail\'s two, touch_row(), touch_user() and touch_vehicle()')
  t.equal(first.functions?.length, 5, 'no other function of ours')

  // Reverting must work on a populated database too, not only on freshly created tables.
  await seedDemo(db, { now: SEED_NOW })
  t.ok(Number((await db.selectFrom('vehicles').select(db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n) > 0, 'the demo fleet is loaded before reverting')

  let reverts = 0
  for (let i = names.length - 1; i >= 0; i--) {
    const name = names[i] as string
    t.same(await migrateDown(db), [name], `down reverts ${name}, the latest applied`)
    reverts++
    t.same(await pendingMigrations(db), names.slice(i), `${name} and those after it are pending again`)
    t.same(await fingerprint(db), steps[i], `after down ${name} the schema is what it was before up ${name}`)
  }
  t.equal(reverts, names.length, 'every migration was reverted by its down')
  t.same(await migrateDown(db), [], 'nothing left to revert')

  const empty = await fingerprint(db)
  t.same(tablesOf(empty), [], 'no application tables remain')
  t.same(empty.functions, [], 'no functions of ours remain')
  t.same(empty, before, 'the schema is back to the empty database')

  t.same(await migrateUp(db), names, 'up again applies every migration')
  t.same(await fingerprint(db), first, 'the second up builds exactly the schema of the first')
  t.same(await pendingMigrations(db), [], 'nothing pending')
}

void t.test('up, down step by step, up again: PostgreSQL', { skip: usingPostgres ? false : 'DATABASE_URL is not set (the PGlite run below covers the same steps)' }, async (t) => {
  const { url } = await createDatabase(t, { fromTemplate: false })
  const handle = connectDatabase({ kind: 'postgres', url, pool: { max: 2, idleTimeoutMs: 1000, connectionTimeoutMs: 5000, statementTimeoutMs: 0 } })
  t.teardown(async () => { await handle.close() })
  await checkReversible(t, handle)
})

// PGlite is the development default (the embedded database), so migrations must revert there too.
void t.test('up, down step by step, up again: embedded PGlite', async (t) => {
  const handle = connectDatabase({ kind: 'pglite', dataDir: null })
  t.teardown(async () => { await handle.close() })
  await checkReversible(t, handle)
})

void t.test('0010 gives each vehicle\'s latest fix the attributes stored with it in the history', async (t) => {
  const handle = connectDatabase(await demoDatabase(t))
  t.teardown(async () => { await handle.close() })
  const { db } = handle
  // Every stored fix names its own time, so a latest fix that took another's attributes shows.
  await db.transaction().execute(async (trx) => {
    await sql`select set_config('fleet.organization_id', '*', true)`.execute(trx)
    await sql`update positions set attributes = jsonb_build_object('at', recorded_at)`.execute(trx)
  })
  await createMigrator(db).migrateTo('20261130_0009_tenant_write_policies')
  const { error, results } = await createMigrator(db).migrateTo('20261207_0010_telemetry_attributes')
  t.same({ error, applied: results?.map((r) => r.migrationName) }, { error: undefined, applied: ['20261207_0010_telemetry_attributes'] }, 'up 0010 on a fleet with history')
  const { rows } = await sql<{ vehicles: string, matching: string }>`
    select count(*) as vehicles, count(*) filter (where (attributes ->> 'at')::timestamptz = recorded_at) as matching from vehicle_telemetry`.execute(db)
  t.ok(Number(rows[0]?.vehicles) > 0, 'the demo fleet has latest fixes')
  t.equal(rows[0]?.matching, rows[0]?.vehicles, 'each has the attributes of its own fix')
})

void t.test('a failing migration is named, and the batch is rolled back', async (t) => {
  const handle = usingPostgres
    ? connectDatabase({ kind: 'postgres', url: (await createDatabase(t, { fromTemplate: false })).url, pool: { max: 2, idleTimeoutMs: 1000, connectionTimeoutMs: 5000, statementTimeoutMs: 0 } })
    : connectDatabase({ kind: 'pglite', dataDir: null })
  t.teardown(async () => { await handle.close() })
  const { db } = handle
  const names = (await migrationStatus(db)).map((m) => m.name)
  // Something in the way of the second migration.
  await sql.raw('CREATE TABLE users (id integer)').execute(db)

  const error = await migrateUp(db).then(() => undefined, (err: unknown) => err)
  t.type(error, MigrationFailure)
  t.match(error, { migration: names[1], message: new RegExp(`^Migration ${names[1] as string} failed: .*"users" already exists`) }, 'the error names the migration and the cause')
  t.same(await pendingMigrations(db), names, 'nothing is recorded as applied')
  t.same((await fingerprint(db)).extensions?.map((e) => e.name), ['plpgsql'], 'the first migration was rolled back with the rest (one transaction)')

  const unreachable = connectDatabase({ kind: 'postgres', url: 'postgres://127.0.0.1:1/nowhere', pool: { max: 1, idleTimeoutMs: 1000, connectionTimeoutMs: 2000, statementTimeoutMs: 0 } })
  t.teardown(async () => { await unreachable.close() })
  const refused = await migrateUp(unreachable.db).then(() => undefined, (err: unknown) => err)
  t.notOk(refused instanceof MigrationFailure, 'an unreachable database is not blamed on a migration')
  t.match(refused, { message: /ECONNREFUSED/ })
})
