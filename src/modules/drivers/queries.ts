import { type Kysely, sql, type Transaction } from 'kysely'
import { containsPattern } from '../../database/search.js'
import type { Database } from '../../database/schema.js'
import type { DriverRow, DriverStatus, NewDriver } from './tables.js'
import { type ConnectionArgs, type Page, type SortKey, paginateFiltered } from '../../graphql/pagination.js'
import { hasCurrentAssignment } from '../assignments/queries.js'

export interface DriverListFilter {
  /** Only this driver (null: none at all): a DRIVER's own record. */
  only?: string | null
  status?: DriverStatus[]
  search?: string
  licenseExpiresBefore?: Date
  assigned?: boolean
}

export type DriverSortField = 'NAME' | 'LICENSE_EXPIRES_AT' | 'CREATED_AT' | 'UPDATED_AT'

const SORT_COLUMNS: Record<DriverSortField, Pick<SortKey<DriverRow>, 'column' | 'type' | 'value' | 'nullsAs'>> = {
  NAME: { column: 'drivers.name', type: 'text', value: (d) => d.name },
  // Drivers without an expiry date sort as if it were infinitely far away (last when ascending).
  LICENSE_EXPIRES_AT: { column: 'drivers.license_expires_at', type: 'timestamptz', nullsAs: 'infinity', value: (d) => d.license_expires_at ?? 'infinity' },
  CREATED_AT: { column: 'drivers.created_at', type: 'timestamptz', value: (d) => d.created_at },
  UPDATED_AT: { column: 'drivers.updated_at', type: 'timestamptz', value: (d) => d.updated_at }
}

export function driverSort (field: DriverSortField, direction: 'asc' | 'desc'): SortKey<DriverRow> {
  return { ...SORT_COLUMNS[field], name: `${field}_${direction.toUpperCase()}`, direction, idColumn: 'drivers.id' }
}

function filteredDrivers (db: Kysely<Database>, organizationId: string, filter: DriverListFilter) {
  let query = db.selectFrom('drivers').where('drivers.organization_id', '=', organizationId)
  if (filter.only !== undefined) query = filter.only === null ? query.where(sql<boolean>`false`) : query.where('drivers.id', '=', filter.only)
  if (filter.status !== undefined && filter.status.length > 0) query = query.where('drivers.status', 'in', filter.status)
  if (filter.search !== undefined) {
    // The same expression as the drivers_search trigram index.
    query = query.where(sql`lower(drivers.name || ' ' || drivers.license_number || ' ' || coalesce(drivers.email, '') || ' ' || coalesce(drivers.phone, ''))`, 'like', containsPattern(filter.search))
  }
  if (filter.licenseExpiresBefore !== undefined) query = query.where('drivers.license_expires_at', '<', filter.licenseExpiresBefore)
  const { assigned } = filter
  if (assigned !== undefined) {
    query = query.where((eb) => assigned
      ? hasCurrentAssignment(eb, 'driver_id', 'drivers.id')
      : eb.not(hasCurrentAssignment(eb, 'driver_id', 'drivers.id')))
  }
  return query
}

export async function listDrivers (db: Kysely<Database>, organizationId: string, filter: DriverListFilter, sort: SortKey<DriverRow>, args: ConnectionArgs): Promise<Page<DriverRow>> {
  return await paginateFiltered(filteredDrivers(db, organizationId, filter), (q) => q.selectAll('drivers'), args, sort)
}

export async function findDriversByUserIds (db: Kysely<Database>, organizationId: string, userIds: readonly string[]): Promise<DriverRow[]> {
  return await db.selectFrom('drivers').selectAll()
    .where('organization_id', '=', organizationId)
    .where('user_id', 'in', userIds)
    .execute()
}

export async function findDriversByIds (db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<DriverRow[]> {
  return await db.selectFrom('drivers').selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', 'in', ids)
    .execute()
}

export async function countDriversByStatus (db: Kysely<Database>, organizationId: string, status: DriverStatus): Promise<number> {
  const row = await db.selectFrom('drivers')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('organization_id', '=', organizationId)
    .where('status', '=', status)
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

export async function insertDriver (db: Kysely<Database>, row: NewDriver): Promise<DriverRow> {
  return await db.insertInto('drivers').values(row).returningAll().executeTakeFirstOrThrow()
}

/**
 * Reads a driver and locks the row until the transaction ends (while assigning them): concurrent
 * assignments of the driver wait for each other, changes to the driver wait too, but foreign-key
 * checks of other tables' inserts (FOR KEY SHARE) do not.
 */
export async function lockDriver (trx: Transaction<Database>, organizationId: string, id: string): Promise<DriverRow | undefined> {
  return await trx.selectFrom('drivers').selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .forNoKeyUpdate()
    .executeTakeFirst()
}
