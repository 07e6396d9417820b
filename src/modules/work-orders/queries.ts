import { type Kysely, type SelectQueryBuilder, sql, type Transaction } from 'kysely'
import { anyOf } from '../../database/filters.js'
import type { Database } from '../../database/schema.js'
import { containsPattern } from '../../database/search.js'
import { PARENT_ID, pagesPerParent, type ConnectionArgs, type Page, type PageWindow, paginateFiltered, type SortKey } from '../../graphql/pagination.js'
import type {
  NewWorkOrder, WorkOrderKind, WorkOrderUpdate, WorkOrderLaborRow, WorkOrderPartRow, WorkOrderPriority, WorkOrderRow, WorkOrderStatus, WorkOrderTaskRow
} from './tables.js'

export const OPEN_STATUSES: readonly WorkOrderStatus[] = ['OPEN', 'IN_PROGRESS', 'ON_HOLD']

export type WorkOrderSortField = 'NUMBER' | 'CREATED_AT' | 'UPDATED_AT' | 'SCHEDULED_FOR' | 'PRIORITY'


const SORT_COLUMNS: Record<WorkOrderSortField, Pick<SortKey<WorkOrderRow>, 'column' | 'type' | 'value' | 'nullsAs'>> = {
  NUMBER: { column: 'work_orders.number', type: 'integer', value: (w) => w.number },
  CREATED_AT: { column: 'work_orders.created_at', type: 'timestamptz', value: (w) => w.created_at },
  UPDATED_AT: { column: 'work_orders.updated_at', type: 'timestamptz', value: (w) => w.updated_at },
  SCHEDULED_FOR: { column: 'work_orders.scheduled_for', type: 'timestamptz', nullsAs: '-infinity', value: (w) => w.scheduled_for ?? '-infinity' },
  PRIORITY: { column: 'work_orders.priority_rank', type: 'integer', value: (w) => w.priority_rank }
}

export function workOrderSort (field: WorkOrderSortField, direction: 'asc' | 'desc'): SortKey<WorkOrderRow> {
  return { ...SORT_COLUMNS[field], name: `${field}_${direction.toUpperCase()}`, direction, idColumn: 'work_orders.id' }
}

export interface WorkOrderFilter {
  status?: WorkOrderStatus[]
  kind?: WorkOrderKind[]
  priority?: WorkOrderPriority[]
  vehicleIds?: string[]
  assigneeId?: string
  unassigned?: boolean
  vendorId?: string
  facilityId?: string
  from?: Date
  to?: Date
  /** Part of the title, or the number (42, WO-000042). */
  search?: string
  /** A MECHANIC's view: orders assigned to them or to nobody. */
  workableBy?: string
  /** A DRIVER's view: orders of this vehicle only (null: none). */
  onlyVehicle?: string | null
}

/** The filter's conditions on a query of work_orders (a list, or the lateral page of one vehicle). */
function filtered<DB extends Database, O> (query: SelectQueryBuilder<DB, 'work_orders', O>, organizationId: string, filter: WorkOrderFilter): SelectQueryBuilder<DB, 'work_orders', O> {
  // Kysely cannot follow column names through a generic database type: the builder is typed as
  // the plain one while conditions are added, and handed back as it came.
  let q = (query as unknown as SelectQueryBuilder<Database, 'work_orders', O>).where('work_orders.organization_id', '=', organizationId)
  if (filter.status !== undefined) q = q.where('work_orders.status', 'in', anyOf(filter.status))
  if (filter.kind !== undefined) q = q.where('work_orders.kind', 'in', anyOf(filter.kind))
  if (filter.priority !== undefined) q = q.where('work_orders.priority', 'in', anyOf(filter.priority))
  if (filter.vehicleIds !== undefined) q = q.where('work_orders.vehicle_id', 'in', anyOf(filter.vehicleIds))
  if (filter.assigneeId !== undefined) q = q.where('work_orders.assignee_id', '=', filter.assigneeId)
  if (filter.unassigned === true) q = q.where('work_orders.assignee_id', 'is', null)
  if (filter.unassigned === false) q = q.where('work_orders.assignee_id', 'is not', null)
  if (filter.vendorId !== undefined) q = q.where('work_orders.vendor_id', '=', filter.vendorId)
  if (filter.facilityId !== undefined) q = q.where('work_orders.facility_id', '=', filter.facilityId)
  if (filter.from !== undefined) q = q.where('work_orders.created_at', '>=', filter.from)
  if (filter.to !== undefined) q = q.where('work_orders.created_at', '<', filter.to)
  const { search, workableBy, onlyVehicle } = filter
  if (search !== undefined) {
    const number = /^(?:WO-?)?0*(\d{1,9})$/i.exec(search.trim())?.[1]
    q = q.where((eb) => eb.or([
      eb(sql`lower(work_orders.title)`, 'like', containsPattern(search)),
      ...(number === undefined ? [] : [eb('work_orders.number', '=', Number(number))])
    ]))
  }
  if (workableBy !== undefined) q = q.where((eb) => eb.or([eb('work_orders.assignee_id', '=', workableBy), eb('work_orders.assignee_id', 'is', null)]))
  if (onlyVehicle !== undefined) q = onlyVehicle === null ? q.where(sql<boolean>`false`) : q.where('work_orders.vehicle_id', '=', onlyVehicle)
  return q as unknown as SelectQueryBuilder<DB, 'work_orders', O>
}

export async function listWorkOrders (db: Kysely<Database>, organizationId: string, filter: WorkOrderFilter, sort: SortKey<WorkOrderRow>, args: ConnectionArgs): Promise<Page<WorkOrderRow>> {
  return await paginateFiltered(filtered(db.selectFrom('work_orders'), organizationId, filter), (q) => q.selectAll('work_orders'), args, sort)
}

/** One page of work orders for each vehicle (Vehicle.workOrders), in one statement. */
export async function workOrderPagesByVehicle (db: Kysely<Database>, organizationId: string, vehicleIds: readonly string[], filter: WorkOrderFilter, window: PageWindow, sort: SortKey<WorkOrderRow>): Promise<WorkOrderRow[]> {
  return await pagesPerParent(db, vehicleIds, (eb) => filtered(eb.selectFrom('work_orders'), organizationId, filter).selectAll('work_orders')
    .where('work_orders.vehicle_id', '=', PARENT_ID), window, sort)
}

export async function countWorkOrdersByVehicle (db: Kysely<Database>, organizationId: string, vehicleIds: readonly string[], filter: WorkOrderFilter): Promise<Array<{ vehicle_id: string, count: number }>> {
  const rows = await filtered(db.selectFrom('work_orders'), organizationId, filter).where('work_orders.vehicle_id', 'in', vehicleIds)
    .select(['work_orders.vehicle_id', sql<string>`count(*)`.as('count')]).groupBy('work_orders.vehicle_id').execute()
  return rows.map((r) => ({ vehicle_id: r.vehicle_id, count: Number(r.count) }))
}

export async function findWorkOrdersByIds (db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<WorkOrderRow[]> {
  return await db.selectFrom('work_orders').selectAll().where('organization_id', '=', organizationId).where('id', 'in', ids).execute()
}

/** Reads a work order and locks it for the change: two changes of one order happen one after the other. */
export async function lockWorkOrder (trx: Transaction<Database>, organizationId: string, id: string): Promise<WorkOrderRow | undefined> {
  return await trx.selectFrom('work_orders').selectAll().where('organization_id', '=', organizationId).where('id', '=', id).forUpdate().executeTakeFirst()
}

/** The organization's next number: its counter row is advanced (and held) until the transaction ends. */
export async function nextWorkOrderNumber (trx: Transaction<Database>, organizationId: string): Promise<number> {
  const row = await trx.insertInto('work_order_numbers').values({ organization_id: organizationId, last_number: 1 })
    .onConflict((oc) => oc.column('organization_id').doUpdateSet({ last_number: sql`work_order_numbers.last_number + 1` }))
    .returning('last_number').executeTakeFirstOrThrow()
  return row.last_number
}

export async function insertWorkOrder (trx: Transaction<Database>, row: NewWorkOrder): Promise<WorkOrderRow> {
  return await trx.insertInto('work_orders').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function updateWorkOrder (trx: Transaction<Database>, organizationId: string, id: string, patch: WorkOrderUpdate): Promise<WorkOrderRow> {
  if (Object.keys(patch).length === 0) return await touchWorkOrder(trx, organizationId, id)
  return await trx.updateTable('work_orders').set(patch).where('organization_id', '=', organizationId).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

/** The order's lines or tasks changed: the touch trigger moves its version, so an editor holding the old one is told. */
export async function touchWorkOrder (trx: Transaction<Database>, organizationId: string, id: string): Promise<WorkOrderRow> {
  const { rows } = await sql<WorkOrderRow>`UPDATE work_orders SET updated_at = now() WHERE organization_id = ${organizationId} AND id = ${id} RETURNING *`.execute(trx)
  return rows[0] as WorkOrderRow
}

/** Other open orders of the vehicle that keep it in the shop (besides `except`). */
export async function otherOffRoadOrders (trx: Transaction<Database>, organizationId: string, vehicleId: string, except: string): Promise<number> {
  const row = await trx.selectFrom('work_orders').select(sql<string>`count(*)`.as('count'))
    .where('organization_id', '=', organizationId).where('vehicle_id', '=', vehicleId).where('id', '<>', except)
    .where('status', 'in', OPEN_STATUSES).where('takes_vehicle_off_road', '=', true)
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

export async function insertTasks (trx: Transaction<Database>, rows: ReadonlyArray<{ organization_id: string, work_order_id: string, service_task_id: string, maintenance_schedule_id: string | null, notes: string | null }>): Promise<void> {
  if (rows.length === 0) return
  await trx.insertInto('work_order_tasks').values([...rows]).execute()
}

export async function deleteTasks (trx: Transaction<Database>, organizationId: string, workOrderId: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0
  const result = await trx.deleteFrom('work_order_tasks').where('organization_id', '=', organizationId).where('work_order_id', '=', workOrderId).where('id', 'in', ids).executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function tasksOfOrders (db: Kysely<Database>, organizationId: string, orderIds: readonly string[]): Promise<WorkOrderTaskRow[]> {
  return await db.selectFrom('work_order_tasks').selectAll().where('organization_id', '=', organizationId).where('work_order_id', 'in', orderIds)
    .orderBy('created_at').orderBy('id').execute()
}

export async function insertPart (trx: Transaction<Database>, row: Omit<WorkOrderPartRow, 'id' | 'created_at'>): Promise<void> {
  await trx.insertInto('work_order_parts').values(row).execute()
}

export async function insertLabor (trx: Transaction<Database>, row: Omit<WorkOrderLaborRow, 'id' | 'created_at'>): Promise<void> {
  await trx.insertInto('work_order_labor').values(row).execute()
}

/** A part or labour line, by its id: the order it belongs to, or undefined. */
export async function findLine (trx: Transaction<Database>, organizationId: string, lineId: string): Promise<{ work_order_id: string, table: 'work_order_parts' | 'work_order_labor' } | undefined> {
  const part = await trx.selectFrom('work_order_parts').select('work_order_id').where('organization_id', '=', organizationId).where('id', '=', lineId).executeTakeFirst()
  if (part !== undefined) return { work_order_id: part.work_order_id, table: 'work_order_parts' }
  const labor = await trx.selectFrom('work_order_labor').select('work_order_id').where('organization_id', '=', organizationId).where('id', '=', lineId).executeTakeFirst()
  return labor === undefined ? undefined : { work_order_id: labor.work_order_id, table: 'work_order_labor' }
}

export async function deleteLine (trx: Transaction<Database>, organizationId: string, table: 'work_order_parts' | 'work_order_labor', lineId: string): Promise<void> {
  await trx.deleteFrom(table).where('organization_id', '=', organizationId).where('id', '=', lineId).execute()
}

/** A part line with its amount, quantity x unit cost rounded to the cent by the database. */
export type PartLine = WorkOrderPartRow & { amount: string }
export type LaborLine = WorkOrderLaborRow & { amount: string }

export async function partsOfOrders (db: Kysely<Database>, organizationId: string, orderIds: readonly string[]): Promise<PartLine[]> {
  return await db.selectFrom('work_order_parts').selectAll().select(sql<string>`round(quantity * unit_cost, 2)`.as('amount'))
    .where('organization_id', '=', organizationId).where('work_order_id', 'in', orderIds).orderBy('created_at').orderBy('id').execute()
}

export async function laborOfOrders (db: Kysely<Database>, organizationId: string, orderIds: readonly string[]): Promise<LaborLine[]> {
  return await db.selectFrom('work_order_labor').selectAll().select(sql<string>`round(hours * rate, 2)`.as('amount'))
    .where('organization_id', '=', organizationId).where('work_order_id', 'in', orderIds).orderBy('created_at').orderBy('id').execute()
}

export interface OrderTotals {
  work_order_id: string
  parts: string
  labor: string
  total: string
}

/** Each order's parts and labour totals: the sums of the lines' rounded amounts, exact. */
export async function totalsOfOrders (db: Kysely<Database>, organizationId: string, orderIds: readonly string[]): Promise<OrderTotals[]> {
  const { rows } = await sql<OrderTotals>`
    SELECT t.work_order_id, t.parts, t.labor, t.parts + t.labor AS total FROM (
      SELECT o.id AS work_order_id,
             coalesce((SELECT sum(round(p.quantity * p.unit_cost, 2)) FROM work_order_parts p WHERE p.organization_id = o.organization_id AND p.work_order_id = o.id), 0) AS parts,
             coalesce((SELECT sum(round(l.hours * l.rate, 2)) FROM work_order_labor l WHERE l.organization_id = o.organization_id AND l.work_order_id = o.id), 0) AS labor
        FROM work_orders o WHERE o.organization_id = ${organizationId} AND o.id = ANY(cast(${[...orderIds]} as uuid[]))) t`.execute(db)
  return rows
}

export async function countOpenWorkOrders (db: Kysely<Database>, organizationId: string): Promise<number> {
  const row = await db.selectFrom('work_orders').select(sql<string>`count(*)`.as('count'))
    .where('organization_id', '=', organizationId).where('status', 'in', OPEN_STATUSES).executeTakeFirstOrThrow()
  return Number(row.count)
}
