import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { Kysely, PGliteDialect } from 'kysely'
import pg from 'pg'
import { seedDemo } from '../../db/seeds/demo.js'
import { connectDatabase } from '../../src/database/connect.js'
import type { Database } from '../../src/database/schema.js'
import { migrateUp } from '../../src/database/migrator.js'
import { databaseUrl, PGLITE_SNAPSHOT, SEED_NOW, SERVER_URL, TEMPLATE_DATABASE, TEST_ROLE } from '../helpers/environment.js'

// Runs once before the test files: builds a migrated, seeded template that every test file
// clones into a database of its own (CREATE DATABASE ... TEMPLATE on PostgreSQL, a data
// directory snapshot with PGlite), so files stay isolated and none pays for migrating.

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

if (SERVER_URL !== undefined) {
  const admin = new pg.Client({ connectionString: SERVER_URL })
  await admin.connect()
  // Databases of earlier runs whose runner died before its `after` script could drop them.
  const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname ~ '^fleet_test_[0-9]+_'")
  for (const { datname } of rows) {
    const pid = Number(/^fleet_test_(\d+)_/.exec(datname)?.[1])
    if (!isAlive(pid)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`)
  }
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`)
  // Created once per server (DATABASE_URL's user must be allowed to: CI's is a superuser); two
  // runs starting together may both try. The password serves servers that ask for one.
  await admin.query(`DO $$ BEGIN CREATE ROLE ${TEST_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '${TEST_ROLE}';
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`)
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE} OWNER ${TEST_ROLE}`)
  await admin.end()
  const handle = connectDatabase({ kind: 'postgres', url: databaseUrl(TEMPLATE_DATABASE), pool: { max: 2, idleTimeoutMs: 1000, connectionTimeoutMs: 5000, statementTimeoutMs: 0 } })
  await migrateUp(handle.db)
  await seedDemo(handle.db, { now: SEED_NOW })
  await handle.close()
  console.log(`# test template: PostgreSQL database ${TEMPLATE_DATABASE} on ${new URL(SERVER_URL).host}`)
} else {
  const { PGlite } = await import('@electric-sql/pglite')
  const { btree_gist: btreeGist } = await import('@electric-sql/pglite/contrib/btree_gist')
  const { pg_trgm: pgTrgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
  const pglite = await PGlite.create({ extensions: { btree_gist: btreeGist, pg_trgm: pgTrgm } })
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) })
  await migrateUp(db)
  await seedDemo(db, { now: SEED_NOW })
  const snapshot = await pglite.dumpDataDir('gzip')
  mkdirSync(dirname(PGLITE_SNAPSHOT), { recursive: true })
  writeFileSync(PGLITE_SNAPSHOT, Buffer.from(await snapshot.arrayBuffer()))
  await db.destroy()
  console.log('# test template: embedded PGlite snapshot (set DATABASE_URL to test against PostgreSQL)')
}
