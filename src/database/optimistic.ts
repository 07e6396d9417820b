import type { Kysely, Selectable, Updateable } from 'kysely'
import { conflict, notFound } from '../errors.js'
import type { Database } from './schema.js'

// Optimistic concurrency: an update names the version its author read and runs as
// `UPDATE ... WHERE id = $id AND organization_id = $org AND version = $expected`; the touch_row
// trigger bumps version and updated_at. When no row matched, the row is either missing (for this
// organization) or was changed since it was read: NOT_FOUND or CONFLICT.

/** Every table with a `version` column (the modules' tables.ts declare them). */
export type VersionedTable = { [T in keyof Database]: Database[T] extends { version: unknown } ? T : never }[keyof Database]

export interface RowScope {
  organizationId: string
  id: string
}

export async function updateVersioned<T extends VersionedTable> (
  db: Kysely<Database>,
  table: T,
  scope: RowScope,
  expectedVersion: number,
  patch: Updateable<Database[T]>,
  entity: string
): Promise<Selectable<Database[T]>> {
  // One generic body for every table: Kysely's types cannot follow a table name held in a type
  // parameter, so the builder is typed as one concrete table and the result cast back.
  const tenantColumn = table === 'organizations' ? 'id' : 'organization_id'
  const row = Object.keys(patch).length === 0
    ? await db.selectFrom(table as 'vehicles').selectAll()
      .where('id', '=', scope.id).where(tenantColumn, '=', scope.organizationId).where('version', '=', expectedVersion)
      .executeTakeFirst()
    : await db.updateTable(table as 'vehicles').set(patch as Updateable<Database['vehicles']>)
      .where('id', '=', scope.id).where(tenantColumn, '=', scope.organizationId).where('version', '=', expectedVersion)
      .returningAll()
      .executeTakeFirst()
  if (row !== undefined) return row as unknown as Selectable<Database[T]>

  const current = await db.selectFrom(table as 'vehicles').select('version')
    .where('id', '=', scope.id).where(tenantColumn, '=', scope.organizationId)
    .executeTakeFirst()
  if (current === undefined) throw notFound(entity, scope.id)
  throw conflict(`${entity} was changed by someone else (now version ${current.version}, you sent ${expectedVersion}); reload it and try again`, 'input.expectedVersion')
}
