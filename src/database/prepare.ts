import type { FastifyBaseLogger } from 'fastify'
import { seedDemo } from '../../db/seeds/demo.js'
import type { Config } from '../config.js'
import type { DatabaseHandle } from './connect.js'
import { migrateUp, pendingMigrations } from './migrator.js'
import { databaseRole } from './security.js'

/**
 * Start-up work on the database. With MIGRATE_ON_START (the default outside production) pending
 * migrations are applied; an embedded database with no organization yet also gets the demo fleet.
 * Otherwise pending migrations are only reported: in production the migration job applies them.
 * A PostgreSQL role that row-level security does not bind is reported too.
 */
export async function prepareDatabase (database: DatabaseHandle, config: Config, log: FastifyBaseLogger): Promise<void> {
  const { db } = database
  if (database.kind === 'postgres') {
    const role = await databaseRole(db)
    if (!role.policiesApply) {
      log.warn({ role: role.name }, `connected as ${role.name}, a superuser or BYPASSRLS role: the tenant write policies do not apply; connect as the tables' owner without those attributes (docs/security.md)`)
    }
  }
  if (!config.MIGRATE_ON_START) {
    const pending = await pendingMigrations(db)
    if (pending.length > 0) log.warn({ pending }, 'database has pending migrations; run `npm run migrate:up`')
    return
  }
  const applied = await migrateUp(db)
  if (applied.length > 0) log.info({ applied }, `applied ${applied.length} migration(s)`)
  if (database.kind === 'pglite') {
    const any = await db.selectFrom('organizations').select('id').limit(1).executeTakeFirst()
    if (any === undefined) {
      const summary = await seedDemo(db)
      log.info({ seeded: summary }, 'loaded the demo fleet into the embedded database')
    }
  }
}
