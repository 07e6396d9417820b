import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { CreatedAt, TenantRow, Timestamp } from '../../database/schema.js'

// The work-orders module's tables (orders, their tasks, parts and labour, the per-organization
// number counter), created by db/migrations and merged into `Database` (src/database/schema.ts).

export type WorkOrderStatus = 'OPEN' | 'IN_PROGRESS' | 'ON_HOLD' | 'COMPLETED' | 'CANCELLED'
export type WorkOrderKind = 'PREVENTIVE' | 'CORRECTIVE' | 'DEFECT' | 'RECALL' | 'ACCIDENT'
export type WorkOrderPriority = 'LOW' | 'NORMAL' | 'HIGH' | 'URGENT'

/** numeric: read as a decimal string (exact), written as a string or number. */
type Numeric = ColumnType<string, number | string, number | string>
type OptionalNumeric = ColumnType<string | null, number | string | null | undefined, number | string | null>

export interface WorkOrderNumbersTable {
  organization_id: string
  last_number: number
}

export interface WorkOrdersTable extends TenantRow {
  number: number
  vehicle_id: string
  kind: WorkOrderKind
  priority: Generated<WorkOrderPriority>
  /** Generated from priority: LOW 1 ... URGENT 4. */
  priority_rank: ColumnType<number, never, never>
  status: Generated<WorkOrderStatus>
  title: string
  description: string | null
  assignee_id: string | null
  vendor_id: string | null
  facility_id: string | null
  takes_vehicle_off_road: Generated<boolean>
  scheduled_for: Timestamp | null
  started_at: Timestamp | null
  completed_at: Timestamp | null
  cancelled_at: Timestamp | null
  status_reason: string | null
  odometer_in_km: OptionalNumeric
  odometer_out_km: OptionalNumeric
  engine_hours_in: OptionalNumeric
  engine_hours_out: OptionalNumeric
  currency: string
  completion_notes: string | null
  created_by: string | null
}

interface LineColumns {
  id: Generated<string>
  organization_id: string
  work_order_id: string
  created_by: string | null
  created_at: CreatedAt
}

export interface WorkOrderTasksTable {
  id: Generated<string>
  organization_id: string
  work_order_id: string
  service_task_id: string
  maintenance_schedule_id: string | null
  notes: string | null
  created_at: CreatedAt
}

export interface WorkOrderPartsTable extends LineColumns {
  part_number: string | null
  description: string
  quantity: Numeric
  unit_cost: Numeric
}

export interface WorkOrderLaborTable extends LineColumns {
  technician_id: string | null
  technician_name: string | null
  description: string | null
  hours: Numeric
  rate: Numeric
  performed_at: Timestamp | null
}

declare module '../../database/schema.js' {
  interface Database {
    work_order_numbers: WorkOrderNumbersTable
    work_orders: WorkOrdersTable
    work_order_tasks: WorkOrderTasksTable
    work_order_parts: WorkOrderPartsTable
    work_order_labor: WorkOrderLaborTable
  }
}

export type WorkOrderRow = Selectable<WorkOrdersTable>
export type NewWorkOrder = Insertable<WorkOrdersTable>
export type WorkOrderUpdate = Updateable<WorkOrdersTable>
export type WorkOrderTaskRow = Selectable<WorkOrderTasksTable>
export type WorkOrderPartRow = Selectable<WorkOrderPartsTable>
export type WorkOrderLaborRow = Selectable<WorkOrderLaborTable>
