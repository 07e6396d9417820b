import { type Kysely, sql } from 'kysely'
import type { Database } from '../../database/schema.js'
import type { FeatureFlagRow, MaintenanceModeRow } from './tables.js'

// Switch rows: organization_id NULL is the whole service. Upserts keep one row per scope.

export async function loadSwitches (db: Kysely<Database>): Promise<{ flags: FeatureFlagRow[], maintenance: MaintenanceModeRow[] }> {
  const [flags, maintenance] = await Promise.all([
    db.selectFrom('feature_flags').selectAll().execute(),
    db.selectFrom('maintenance_modes').selectAll().execute()
  ])
  return { flags, maintenance }
}

export async function upsertFeatureFlag (db: Kysely<Database>, row: {
  organization_id: string | null
  name: string
  enabled: boolean
  reason: string | null
  updated_by: string | null
}): Promise<FeatureFlagRow> {
  return await db.insertInto('feature_flags').values(row)
    .onConflict((oc) => oc.constraint('feature_flags_scope_name_unique').doUpdateSet({
      enabled: row.enabled,
      reason: row.reason,
      updated_by: row.updated_by
    }))
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function startMaintenance (db: Kysely<Database>, row: { organization_id: string | null, message: string, enabled_by: string | null }): Promise<MaintenanceModeRow> {
  return await db.insertInto('maintenance_modes').values(row)
    .onConflict((oc) => oc.constraint('maintenance_modes_scope_unique').doUpdateSet({ message: row.message, enabled_by: row.enabled_by }))
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function endMaintenance (db: Kysely<Database>, organizationId: string | null): Promise<boolean> {
  const result = await db.deleteFrom('maintenance_modes')
    .where(organizationId === null ? sql<boolean>`organization_id IS NULL` : sql<boolean>`organization_id = ${organizationId}`)
    .executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}
