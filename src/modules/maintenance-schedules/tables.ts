import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { CreatedAt, TenantRow, Timestamp } from '../../database/schema.js'
import type { VehicleType } from '../vehicles/tables.js'

// The maintenance-schedules module's tables (service tasks, schedules, service records), created
// by db/migrations and merged into `Database` (src/database/schema.ts).

export interface ServiceTasksTable extends TenantRow {
  name: string
  description: string | null
}

/** Nullable numeric: read as a decimal string or null. */
type OptionalDecimal = ColumnType<string | null, number | string | null | undefined, number | string | null>

export interface MaintenanceSchedulesTable extends TenantRow {
  service_task_id: string
  vehicle_id: string | null
  vehicle_type: VehicleType | null
  interval_km: OptionalDecimal
  interval_hours: OptionalDecimal
  interval_days: number | null
  due_soon_km: OptionalDecimal
  due_soon_hours: OptionalDecimal
  due_soon_days: number | null
  starts_at: ColumnType<Date, Date | string | undefined, Date | string>
  deleted_at: Timestamp | null
}

export interface ServiceRecordsTable {
  id: Generated<string>
  organization_id: string
  vehicle_id: string
  service_task_id: string
  performed_at: Timestamp
  odometer_km: OptionalDecimal
  engine_hours: OptionalDecimal
  work_order_id: string | null
  created_at: CreatedAt
}

declare module '../../database/schema.js' {
  interface Database {
    service_tasks: ServiceTasksTable
    maintenance_schedules: MaintenanceSchedulesTable
    service_records: ServiceRecordsTable
  }
}

export type ServiceTaskRow = Selectable<ServiceTasksTable>
export type MaintenanceScheduleRow = Selectable<MaintenanceSchedulesTable>
export type NewMaintenanceSchedule = Insertable<MaintenanceSchedulesTable>
export type MaintenanceScheduleUpdate = Updateable<MaintenanceSchedulesTable>
export type ServiceRecordRow = Selectable<ServiceRecordsTable>
export type NewServiceRecord = Insertable<ServiceRecordsTable>
