import { type AliasedRawBuilder, type Kysely, sql, type Transaction } from 'kysely'
import { containsPattern } from '../../database/search.js'
import type { Database } from '../../database/schema.js'
import type { NewVehicle, VehicleRow, VehicleStatus, VehicleType } from './tables.js'
import { type ConnectionArgs, type Page, type PageWindow, type SortKey, PARENT_ID, pagesPerParent, paginateFiltered } from '../../graphql/pagination.js'
import { hasCurrentAssignment } from '../assignments/queries.js'

export interface VehicleListFilter {
  /** Only this vehicle (null: none at all): a DRIVER's own current vehicle. */
  only?: string | null
  status?: VehicleStatus[]
  type?: VehicleType[]
  facilityId?: string
  search?: string
  assigned?: boolean
}

export type VehicleSortField = 'NUMBER' | 'NAME' | 'YEAR' | 'ODOMETER' | 'CREATED_AT' | 'UPDATED_AT'

const SORT_COLUMNS: Record<VehicleSortField, Pick<SortKey<VehicleRow>, 'column' | 'type' | 'value'>> = {
  NUMBER: { column: 'vehicles.number', type: 'text', value: (v) => v.number },
  NAME: { column: 'vehicles.name', type: 'text', value: (v) => v.name },
  YEAR: { column: 'vehicles.year', type: 'integer', value: (v) => v.year },
  ODOMETER: { column: 'vehicles.odometer_km', type: 'numeric', value: (v) => v.odometer_km },
  CREATED_AT: { column: 'vehicles.created_at', type: 'timestamptz', value: (v) => v.created_at },
  UPDATED_AT: { column: 'vehicles.updated_at', type: 'timestamptz', value: (v) => v.updated_at }
}

export function vehicleSort (field: VehicleSortField, direction: 'asc' | 'desc'): SortKey<VehicleRow> {
  return { ...SORT_COLUMNS[field], name: `${field}_${direction.toUpperCase()}`, direction, idColumn: 'vehicles.id' }
}

function filteredVehicles (db: Kysely<Database>, organizationId: string, filter: VehicleListFilter) {
  let query = db.selectFrom('vehicles').where('vehicles.organization_id', '=', organizationId)
  if (filter.only !== undefined) query = filter.only === null ? query.where(sql<boolean>`false`) : query.where('vehicles.id', '=', filter.only)
  if (filter.status !== undefined && filter.status.length > 0) query = query.where('vehicles.status', 'in', filter.status)
  if (filter.type !== undefined && filter.type.length > 0) query = query.where('vehicles.type', 'in', filter.type)
  if (filter.facilityId !== undefined) query = query.where('vehicles.facility_id', '=', filter.facilityId)
  if (filter.search !== undefined) {
    // The same expression as the vehicles_search trigram index.
    query = query.where(sql`lower(vehicles.number || ' ' || vehicles.name || ' ' || vehicles.vin || ' ' || coalesce(vehicles.license_plate, ''))`, 'like', containsPattern(filter.search))
  }
  const { assigned } = filter
  if (assigned !== undefined) {
    query = query.where((eb) => assigned
      ? hasCurrentAssignment(eb, 'vehicle_id', 'vehicles.id')
      : eb.not(hasCurrentAssignment(eb, 'vehicle_id', 'vehicles.id')))
  }
  return query
}

/** A page of vehicles; `included`: columns of related rows the query selects (src/modules/vehicles/inclusions.ts). */
export async function listVehicles (
  db: Kysely<Database>,
  organizationId: string,
  filter: VehicleListFilter,
  sort: SortKey<VehicleRow>,
  args: ConnectionArgs,
  included: ReadonlyArray<AliasedRawBuilder<unknown, string>> = []
): Promise<Page<VehicleRow>> {
  return await paginateFiltered(filteredVehicles(db, organizationId, filter), (q) => included.length === 0 ? q.selectAll('vehicles') : q.selectAll('vehicles').select(included) as never, args, sort)
}

export async function findVehiclesByIds (db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<VehicleRow[]> {
  return await db.selectFrom('vehicles').selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', 'in', ids)
    .execute()
}

/** One page of vehicles for each facility, in one statement. */
export async function findVehiclePagesByFacility (db: Kysely<Database>, organizationId: string, facilityIds: readonly string[], window: PageWindow, sort: SortKey<VehicleRow>): Promise<VehicleRow[]> {
  return await pagesPerParent(db, facilityIds, (eb) => eb.selectFrom('vehicles').selectAll('vehicles')
    .where('vehicles.organization_id', '=', organizationId)
    .where('vehicles.facility_id', '=', PARENT_ID), window, sort)
}

export async function countVehiclesByFacility (db: Kysely<Database>, organizationId: string, facilityIds: readonly string[]): Promise<Array<{ facility_id: string | null, count: number }>> {
  return await db.selectFrom('vehicles')
    .select(['facility_id', (eb) => eb.fn.countAll<number>().as('count')])
    .where('organization_id', '=', organizationId)
    .where('facility_id', 'in', facilityIds)
    .groupBy('facility_id')
    .execute()
}

export async function countVehiclesByStatus (db: Kysely<Database>, organizationId: string): Promise<Array<{ status: VehicleStatus, count: number }>> {
  return await db.selectFrom('vehicles')
    .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
    .where('organization_id', '=', organizationId)
    .groupBy('status')
    .execute()
}

export async function insertVehicle (db: Kysely<Database>, row: NewVehicle): Promise<VehicleRow> {
  return await db.insertInto('vehicles').values(row).returningAll().executeTakeFirstOrThrow()
}

/** Reads a vehicle and locks it until the transaction ends: `share` to rely on it, `update` to change it. */
export async function lockVehicle (trx: Transaction<Database>, organizationId: string, id: string, mode: 'share' | 'update'): Promise<VehicleRow | undefined> {
  const query = trx.selectFrom('vehicles').selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
  return await (mode === 'share' ? query.forShare() : query.forUpdate()).executeTakeFirst()
}

/**
 * Locks vehicles whose meters a transaction reads and sets (meter readings): FOR NO KEY UPDATE, as
 * the ingest pipeline locks them, so readings and telemetry of one vehicle take turns; in id
 * order, so concurrent transactions never deadlock. Returns the vehicles found.
 */
export async function lockVehicleMeters (trx: Transaction<Database>, organizationId: string, ids: readonly string[]): Promise<VehicleRow[]> {
  if (ids.length === 0) return []
  return await trx.selectFrom('vehicles').selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', 'in', ids)
    .orderBy('id')
    .forNoKeyUpdate()
    .execute()
}

/**
 * Sets a vehicle's odometer and engine hours from its meter readings. Not an edit of the vehicle
 * (migration 0012): fleet.meters is on for this update only, so neither its version nor its audit
 * trail moves, and a later change of the vehicle in the same transaction is audited as usual.
 */
export async function setVehicleMeters (trx: Transaction<Database>, organizationId: string, id: string, meters: { odometerKm?: number, engineHours?: number }): Promise<VehicleRow> {
  await sql`select set_config('fleet.meters', 'on', true)`.execute(trx)
  const vehicle = await trx.updateTable('vehicles')
    .set({
      ...(meters.odometerKm === undefined ? {} : { odometer_km: meters.odometerKm }),
      ...(meters.engineHours === undefined ? {} : { engine_hours: meters.engineHours })
    })
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  await sql`select set_config('fleet.meters', '', true)`.execute(trx)
  return vehicle
}

export async function markRetired (db: Kysely<Database>, id: string): Promise<VehicleRow> {
  return await db.updateTable('vehicles')
    .set({ status: 'RETIRED', retired_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/**
 * A work order takes a vehicle into the shop (ACTIVE -> IN_SHOP) or gives it back (IN_SHOP ->
 * ACTIVE); a vehicle in any other status (out of service, retired) is left as it is. The changed
 * row, or null when nothing changed.
 */
export async function moveShopStatus (trx: Transaction<Database>, organizationId: string, id: string, to: 'IN_SHOP' | 'ACTIVE'): Promise<VehicleRow | null> {
  const from = to === 'IN_SHOP' ? 'ACTIVE' : 'IN_SHOP'
  const row = await trx.updateTable('vehicles').set({ status: to })
    .where('organization_id', '=', organizationId).where('id', '=', id).where('status', '=', from)
    .returningAll().executeTakeFirst()
  return row ?? null
}
