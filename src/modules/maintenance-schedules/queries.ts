import { type Kysely, sql, type Transaction } from 'kysely'
import { anyOf } from '../../database/filters.js'
import type { Database } from '../../database/schema.js'
import { containsPattern } from '../../database/search.js'
import { PARENT_ID, pagesPerParent, type ConnectionArgs, type Page, type PageWindow, paginateFiltered, type SortKey } from '../../graphql/pagination.js'
import { resolveScheduleAlerts } from '../alerts/queries.js'
import type { VehicleType } from '../vehicles/tables.js'
import type { MaintenanceScheduleRow, NewMaintenanceSchedule, NewServiceRecord, ServiceRecordRow, ServiceTaskRow } from './tables.js'

const TASK_SORT: SortKey<ServiceTaskRow> = { name: 'NAME_ASC', column: 'service_tasks.name', type: 'text', direction: 'asc', idColumn: 'service_tasks.id', value: (t) => t.name }
const SCHEDULE_SORT: SortKey<MaintenanceScheduleRow> = {
  name: 'CREATED_AT_ASC', column: 'maintenance_schedules.created_at', type: 'timestamptz', direction: 'asc', idColumn: 'maintenance_schedules.id', value: (s) => s.created_at
}
export const RECORD_SORT: SortKey<ServiceRecordRow> = {
  name: 'PERFORMED_AT_DESC', column: 'service_records.performed_at', type: 'timestamptz', direction: 'desc', idColumn: 'service_records.id', value: (r) => r.performed_at
}

export async function listServiceTasks (db: Kysely<Database>, organizationId: string, search: string | null, args: ConnectionArgs): Promise<Page<ServiceTaskRow>> {
  let query = db.selectFrom('service_tasks').where('service_tasks.organization_id', '=', organizationId)
  if (search !== null) query = query.where(sql`lower(service_tasks.name)`, 'like', containsPattern(search))
  return await paginateFiltered(query, (q) => q.selectAll('service_tasks'), args, TASK_SORT)
}

export async function findServiceTasksByIds (db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<ServiceTaskRow[]> {
  return await db.selectFrom('service_tasks').selectAll().where('organization_id', '=', organizationId).where('id', 'in', ids).execute()
}

export async function insertServiceTask (db: Kysely<Database>, row: { organization_id: string, name: string, description: string | null }): Promise<ServiceTaskRow> {
  return await db.insertInto('service_tasks').values(row).returningAll().executeTakeFirstOrThrow()
}

export interface ScheduleFilter {
  /** The vehicle's own schedules and those of its type. */
  vehicle?: { id: string, type: VehicleType | null }
  vehicleTypes?: VehicleType[]
  taskId?: string
}

export async function listSchedules (db: Kysely<Database>, organizationId: string, filter: ScheduleFilter, args: ConnectionArgs): Promise<Page<MaintenanceScheduleRow>> {
  let query = db.selectFrom('maintenance_schedules')
    .where('maintenance_schedules.organization_id', '=', organizationId)
    .where('maintenance_schedules.deleted_at', 'is', null)
  const { vehicle, vehicleTypes, taskId } = filter
  if (vehicle !== undefined) {
    query = query.where((eb) => eb.or([
      eb('maintenance_schedules.vehicle_id', '=', vehicle.id),
      ...(vehicle.type === null ? [] : [eb('maintenance_schedules.vehicle_type', '=', vehicle.type)])
    ]))
  }
  if (vehicleTypes !== undefined) query = query.where('maintenance_schedules.vehicle_type', 'in', anyOf(vehicleTypes))
  if (taskId !== undefined) query = query.where('maintenance_schedules.service_task_id', '=', taskId)
  return await paginateFiltered(query, (q) => q.selectAll('maintenance_schedules'), args, SCHEDULE_SORT)
}

/** Schedules by id, deleted ones included (an alert or a work order may name one). */
export async function findSchedulesByIds (db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<MaintenanceScheduleRow[]> {
  return await db.selectFrom('maintenance_schedules').selectAll().where('organization_id', '=', organizationId).where('id', 'in', ids).execute()
}

export async function insertSchedule (trx: Transaction<Database>, row: NewMaintenanceSchedule): Promise<MaintenanceScheduleRow> {
  return await trx.insertInto('maintenance_schedules').values(row).returningAll().executeTakeFirstOrThrow()
}

/** Ends a schedule; its open alerts are resolved (nothing is due any more). False when it was not live. */
export async function deleteSchedule (trx: Transaction<Database>, organizationId: string, id: string, userId: string): Promise<boolean> {
  const deleted = await trx.updateTable('maintenance_schedules').set({ deleted_at: sql<Date>`now()` })
    .where('organization_id', '=', organizationId).where('id', '=', id).where('deleted_at', 'is', null)
    .returning('id').executeTakeFirst()
  if (deleted === undefined) return false
  await resolveScheduleAlerts(trx, organizationId, { scheduleIds: [id] }, userId)
  return true
}

export async function insertServiceRecords (trx: Transaction<Database>, rows: readonly NewServiceRecord[]): Promise<ServiceRecordRow[]> {
  if (rows.length === 0) return []
  return await trx.insertInto('service_records').values([...rows]).returningAll().execute()
}

export async function findServiceRecordsByIds (db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<ServiceRecordRow[]> {
  return await db.selectFrom('service_records').selectAll().where('organization_id', '=', organizationId).where('id', 'in', ids).execute()
}

/** One page of service history for each vehicle, in one statement. */
export async function serviceHistoryPages (db: Kysely<Database>, organizationId: string, vehicleIds: readonly string[], window: PageWindow): Promise<ServiceRecordRow[]> {
  return await pagesPerParent(db, vehicleIds, (eb) => eb.selectFrom('service_records').selectAll('service_records')
    .where('service_records.organization_id', '=', organizationId)
    .where('service_records.vehicle_id', '=', PARENT_ID), window, RECORD_SORT)
}

export async function countServiceRecords (db: Kysely<Database>, organizationId: string, vehicleIds: readonly string[]): Promise<Array<{ vehicle_id: string, count: number }>> {
  const rows = await db.selectFrom('service_records').select(['vehicle_id', sql<string>`count(*)`.as('count')])
    .where('organization_id', '=', organizationId).where('vehicle_id', 'in', vehicleIds).groupBy('vehicle_id').execute()
  return rows.map((r) => ({ vehicle_id: r.vehicle_id, count: Number(r.count) }))
}

/** The live schedules of these tasks that cover the vehicle (its own, and those of its type). */
export async function liveSchedulesOfTasks (db: Kysely<Database>, vehicle: { id: string, organization_id: string, type: VehicleType }, taskIds: readonly string[]): Promise<string[]> {
  const rows = await db.selectFrom('maintenance_schedules').select('id')
    .where('organization_id', '=', vehicle.organization_id).where('deleted_at', 'is', null)
    .where('service_task_id', 'in', taskIds)
    .where((eb) => eb.or([eb('vehicle_id', '=', vehicle.id), eb('vehicle_type', '=', vehicle.type)]))
    .execute()
  return rows.map((r) => r.id)
}
