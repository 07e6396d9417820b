import type { FastifyBaseLogger } from 'fastify'
import { sql } from 'kysely'
import { seedDemo } from '../../db/seeds/demo.js'
import type { Config } from '../config.js'
import type { DatabaseHandle } from '../database/connect.js'
import { migrateUp, pendingMigrations, upToDate } from '../database/migrator.js'
import { databaseRole } from '../database/security.js'

/** What start-up is doing, as the probes report it. */
export type StartupStep = 'connecting' | 'migrating' | 'seeding'

/**
 * Start-up work on the database. With MIGRATE_ON_START (the default outside production) pending
 * migrations are applied; an embedded database with no organization yet also gets the demo fleet.
 * Otherwise pending migrations are only reported: in production the migration job applies them.
 * A PostgreSQL role that row-level security does not bind is reported too.
 */
export async function prepareDatabase (database: DatabaseHandle, config: Config, log: FastifyBaseLogger, step: (step: StartupStep) => void): Promise<void> {
  const { db } = database
  step('connecting')
  if (database.kind === 'postgres') {
    const role = await databaseRole(db)
    if (!role.policiesApply) {
      log.warn({ role: role.name }, `connected as ${role.name}, a superuser or BYPASSRLS role: the tenant write policies do not apply; connect as the tables' owner without those attributes (docs/security.md)`)
    }
  } else {
    // Opens it (a new data directory is copied from the template first).
    await sql`SELECT 1`.execute(db)
  }
  if (await upToDate(db)) {
    if (config.MIGRATE_ON_START) await seedEmbedded(database, log, step)
    return
  }
  if (!config.MIGRATE_ON_START) {
    const pending = await pendingMigrations(db)
    if (pending.length > 0) log.warn({ pending }, 'database has pending migrations; run `npm run migrate:up`')
    return
  }
  step('migrating')
  const applied = await migrateUp(db)
  if (applied.length > 0) log.info({ applied }, `applied ${applied.length} migration(s)`)
  await seedEmbedded(database, log, step)
}

/** An embedded database with no organization yet gets the demo fleet (dates relative to now). */
async function seedEmbedded (database: DatabaseHandle, log: FastifyBaseLogger, step: (step: StartupStep) => void): Promise<void> {
  if (database.kind !== 'pglite') return
  const any = await database.db.selectFrom('organizations').select('id').limit(1).executeTakeFirst()
  if (any !== undefined) return
  step('seeding')
  const summary = await seedDemo(database.db)
  log.info({ seeded: summary }, 'loaded the demo fleet into the embedded database')
}
