import { type Kysely, sql } from 'kysely'
import { anyOf } from '../../database/filters.js'
import type { Database } from '../../database/schema.js'
import type { GeofenceEventKind, GeofenceEventRow, GeofenceRow } from './tables.js'
import { type ConnectionArgs, type Page, paginateFiltered, type SortKey } from '../../graphql/pagination.js'

const GEOFENCE_SORT: SortKey<GeofenceRow> = { name: 'NAME_ASC', column: 'geofences.name', type: 'text', direction: 'asc', idColumn: 'geofences.id', value: (g) => g.name }
const EVENT_SORT: SortKey<GeofenceEventRow> = { name: 'OCCURRED_AT_DESC', column: 'geofence_events.occurred_at', type: 'timestamptz', direction: 'desc', idColumn: 'geofence_events.id', value: (e) => e.occurred_at }

function liveGeofences (db: Kysely<Database>, organizationId: string) {
  return db.selectFrom('geofences').where('geofences.organization_id', '=', organizationId).where('geofences.deleted_at', 'is', null)
}

export async function listGeofences (db: Kysely<Database>, organizationId: string, args: ConnectionArgs): Promise<Page<GeofenceRow>> {
  return await paginateFiltered(liveGeofences(db, organizationId), (q) => q.selectAll('geofences'), args, GEOFENCE_SORT)
}

/** Live geofences by id; `withDeleted` also finds removed ones (events and alerts still name them). */
export async function findGeofencesByIds (db: Kysely<Database>, organizationId: string, ids: readonly string[], withDeleted = false): Promise<GeofenceRow[]> {
  let query = db.selectFrom('geofences').selectAll().where('organization_id', '=', organizationId).where('id', 'in', ids)
  if (!withDeleted) query = query.where('deleted_at', 'is', null)
  return await query.execute()
}

/** Every live geofence of the organization: what ingestion checks fixes against. */
export async function findActiveGeofences (db: Kysely<Database>, organizationId: string): Promise<GeofenceRow[]> {
  return await liveGeofences(db, organizationId).selectAll().orderBy('id').execute()
}

export async function insertGeofence (db: Kysely<Database>, row: Record<string, unknown>): Promise<GeofenceRow> {
  return await db.insertInto('geofences').values(row as never).returningAll().executeTakeFirstOrThrow()
}

/**
 * Removes a geofence from service; its row stays for the events and alerts that name it. Vehicles'
 * states for it go (they would otherwise produce EXIT events for a fence that no longer exists).
 */
export async function softDeleteGeofence (db: Kysely<Database>, organizationId: string, geofenceId: string): Promise<boolean> {
  const row = await db.updateTable('geofences').set({ deleted_at: sql`now()` })
    .where('organization_id', '=', organizationId).where('id', '=', geofenceId).where('deleted_at', 'is', null)
    .returning('id').executeTakeFirst()
  if (row === undefined) return false
  await db.deleteFrom('vehicle_geofence_states').where('geofence_id', '=', geofenceId).execute()
  return true
}

export interface GeofenceEventFilter {
  geofenceIds?: string[]
  vehicleIds?: string[]
  kind?: GeofenceEventKind
  from?: Date
  to?: Date
}

export async function listGeofenceEvents (db: Kysely<Database>, organizationId: string, filter: GeofenceEventFilter, args: ConnectionArgs): Promise<Page<GeofenceEventRow>> {
  let query = db.selectFrom('geofence_events').where('geofence_events.organization_id', '=', organizationId)
  if (filter.geofenceIds !== undefined) query = query.where('geofence_events.geofence_id', 'in', anyOf(filter.geofenceIds))
  if (filter.vehicleIds !== undefined) query = query.where('geofence_events.vehicle_id', 'in', anyOf(filter.vehicleIds))
  if (filter.kind !== undefined) query = query.where('geofence_events.kind', '=', filter.kind)
  if (filter.from !== undefined) query = query.where('geofence_events.occurred_at', '>=', filter.from)
  if (filter.to !== undefined) query = query.where('geofence_events.occurred_at', '<', filter.to)
  return await paginateFiltered(query, (q) => q.selectAll('geofence_events'), args, EVENT_SORT)
}
