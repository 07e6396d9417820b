import { type Expression, type ExpressionBuilder, type Kysely, type RawBuilder, sql, type SqlBool, type Transaction } from 'kysely'
import type { Database } from '../../database/schema.js'
import type { VehicleAssignmentRow } from './tables.js'
import { type ConnectionArgs, type Page, type PageWindow, type SortKey, PARENT_ID, pagesPerParent, paginateFiltered } from '../../graphql/pagination.js'

// An assignment is current when now() lies in [starts_at, ends_at).

export type AssignmentSide = 'vehicle_id' | 'driver_id'

export const ASSIGNMENT_SORT: SortKey<VehicleAssignmentRow> = {
  name: 'STARTS_AT_DESC',
  column: 'vehicle_assignments.starts_at',
  type: 'timestamptz',
  direction: 'desc',
  idColumn: 'vehicle_assignments.id',
  value: (row) => row.starts_at
}

function currentAt (eb: ExpressionBuilder<Database, 'vehicle_assignments'>, at: Date | null): Expression<SqlBool> {
  const moment = at === null ? sql<Date>`now()` : sql<Date>`cast(${at.toISOString()} as timestamptz)`
  return eb.and([
    eb('vehicle_assignments.starts_at', '<=', moment),
    eb.or([eb('vehicle_assignments.ends_at', 'is', null), eb('vehicle_assignments.ends_at', '>', moment)])
  ])
}

/**
 * `EXISTS (current assignment of <column>)`, for other modules' `assigned` filters: they get
 * the condition without writing this table's SQL.
 */
export function hasCurrentAssignment<DB extends Database, TB extends keyof DB> (
  eb: ExpressionBuilder<DB, TB>,
  side: AssignmentSide,
  parentIdColumn: 'vehicles.id' | 'drivers.id'
): Expression<SqlBool> {
  const inner = eb as unknown as ExpressionBuilder<Database, 'vehicle_assignments'>
  return inner.exists(
    inner.selectFrom('vehicle_assignments')
      .select(sql`1`.as('one'))
      .whereRef(`vehicle_assignments.${side}`, '=', sql.ref(parentIdColumn) as never)
      .where((ab) => currentAt(ab, null))
  )
}

export async function findAssignmentsByIds (db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<VehicleAssignmentRow[]> {
  return await db.selectFrom('vehicle_assignments').selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', 'in', ids)
    .execute()
}

/** The current assignment of each of the given vehicles (or drivers): one statement for the batch. */
/**
 * A vehicle's current assignment and its driver, as JSON ({ assignment, driver }, or null): a list
 * of vehicles brings them in its own statement when the query selects them
 * (src/graphql/selection.ts). At most one is current: the vehicle_no_overlap constraint.
 */
export function currentAssignmentJson (vehicleIdColumn: string, organizationColumn: string): RawBuilder<unknown> {
  return sql`(
    select json_build_object('assignment', to_json(a), 'driver', to_json(d))
    from vehicle_assignments a
    join drivers d on d.organization_id = a.organization_id and d.id = a.driver_id
    where a.organization_id = ${sql.ref(organizationColumn)} and a.vehicle_id = ${sql.ref(vehicleIdColumn)}
      and a.starts_at <= now() and (a.ends_at is null or a.ends_at > now()))`
}

export async function findCurrentAssignments (db: Kysely<Database>, organizationId: string, side: AssignmentSide, ids: readonly string[]): Promise<VehicleAssignmentRow[]> {
  return await db.selectFrom('vehicle_assignments').selectAll()
    .where('organization_id', '=', organizationId)
    .where(side, 'in', ids)
    .where((eb) => currentAt(eb, null))
    .execute()
}

/**
 * Who drove each vehicle at a moment (trips record the driver of their start, which may lie in a
 * backlog a tracker uploads hours later): one statement for all the (vehicle, moment) pairs.
 */
export async function findDriversAt (db: Kysely<Database>, organizationId: string, moments: ReadonlyArray<{ vehicleId: string, at: Date }>): Promise<Array<{ vehicle_id: string, at: Date, driver_id: string }>> {
  if (moments.length === 0) return []
  const { rows } = await sql<{ vehicle_id: string, at: Date, driver_id: string }>`
    /* assignments.findDriversAt */
    select m.vehicle_id, m.at, a.driver_id
      from unnest(cast(${moments.map((m) => m.vehicleId)} as uuid[]), cast(${moments.map((m) => m.at.toISOString())} as timestamptz[])) as m(vehicle_id, at)
      join vehicle_assignments a on a.organization_id = ${organizationId} and a.vehicle_id = m.vehicle_id
       and a.starts_at <= m.at and (a.ends_at is null or a.ends_at > m.at)`.execute(db)
  return rows
}

/** One page of assignments for each parent (vehicle or driver), newest first, in one statement. */
export async function findAssignmentPages (db: Kysely<Database>, organizationId: string, side: AssignmentSide, parentIds: readonly string[], window: PageWindow): Promise<Array<VehicleAssignmentRow & { parent_id: string }>> {
  return await pagesPerParent(db, parentIds, (eb) => eb.selectFrom('vehicle_assignments').selectAll('vehicle_assignments')
    .where('vehicle_assignments.organization_id', '=', organizationId)
    .where(`vehicle_assignments.${side}`, '=', PARENT_ID), window, ASSIGNMENT_SORT)
}

export async function countAssignmentsByParent (db: Kysely<Database>, organizationId: string, side: AssignmentSide, parentIds: readonly string[]): Promise<Array<{ parent_id: string, count: number }>> {
  return await db.selectFrom('vehicle_assignments')
    .select([`${side} as parent_id`, (eb) => eb.fn.countAll<number>().as('count')])
    .where('organization_id', '=', organizationId)
    .where(side, 'in', parentIds)
    .groupBy(side)
    .execute()
}

export interface AssignmentListFilter {
  /** Only this driver's assignments (null: none at all): a DRIVER's own. */
  ofDriver?: string | null
  vehicleId?: string
  driverId?: string
  activeAt?: Date
}

function filteredAssignments (db: Kysely<Database>, organizationId: string, filter: AssignmentListFilter) {
  let query = db.selectFrom('vehicle_assignments').where('vehicle_assignments.organization_id', '=', organizationId)
  if (filter.vehicleId !== undefined) query = query.where('vehicle_assignments.vehicle_id', '=', filter.vehicleId)
  if (filter.driverId !== undefined) query = query.where('vehicle_assignments.driver_id', '=', filter.driverId)
  if (filter.ofDriver !== undefined) {
    query = filter.ofDriver === null ? query.where(sql<boolean>`false`) : query.where('vehicle_assignments.driver_id', '=', filter.ofDriver)
  }
  const { activeAt } = filter
  if (activeAt !== undefined) query = query.where((eb) => currentAt(eb, activeAt))
  return query
}

export async function listAssignments (db: Kysely<Database>, organizationId: string, filter: AssignmentListFilter, args: ConnectionArgs): Promise<Page<VehicleAssignmentRow>> {
  return await paginateFiltered(filteredAssignments(db, organizationId, filter), (q) => q.selectAll('vehicle_assignments'), args, ASSIGNMENT_SORT)
}

export async function countActiveAssignments (db: Kysely<Database>, organizationId: string): Promise<number> {
  const row = await db.selectFrom('vehicle_assignments')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('organization_id', '=', organizationId)
    .where((eb) => currentAt(eb, null))
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

export async function insertAssignment (db: Kysely<Database>, row: {
  organization_id: string
  vehicle_id: string
  driver_id: string
  starts_at: Date
  ends_at: Date | null
  notes: string | null
  created_by: string
}): Promise<VehicleAssignmentRow> {
  return await db.insertInto('vehicle_assignments').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function lockAssignment (trx: Transaction<Database>, organizationId: string, id: string): Promise<VehicleAssignmentRow | undefined> {
  return await trx.selectFrom('vehicle_assignments').selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
}

export async function setAssignmentEnd (db: Kysely<Database>, id: string, endsAt: Date): Promise<VehicleAssignmentRow> {
  return await db.updateTable('vehicle_assignments').set({ ends_at: endsAt })
    .where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

export async function deleteAssignment (db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('vehicle_assignments').where('id', '=', id).execute()
}

/**
 * For retiring a vehicle: ends its current assignment now and reports how many assignments are
 * still to come (which the caller refuses to orphan).
 */
export async function closeAssignmentsOfVehicle (db: Kysely<Database>, organizationId: string, vehicleId: string): Promise<{ ended: string[], upcoming: number }> {
  const upcoming = await db.selectFrom('vehicle_assignments')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('organization_id', '=', organizationId)
    .where('vehicle_id', '=', vehicleId)
    .where('starts_at', '>', sql<Date>`now()`)
    .executeTakeFirstOrThrow()
  if (Number(upcoming.count) > 0) return { ended: [], upcoming: Number(upcoming.count) }
  const ended = await db.updateTable('vehicle_assignments')
    .set({ ends_at: sql`now()` })
    .where('organization_id', '=', organizationId)
    .where('vehicle_id', '=', vehicleId)
    .where((eb) => currentAt(eb, null))
    .returning('id')
    .execute()
  return { ended: ended.map((row) => row.id), upcoming: 0 }
}
