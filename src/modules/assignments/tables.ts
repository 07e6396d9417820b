import type { Selectable } from 'kysely'
import type { TenantRow, Timestamp } from '../../database/schema.js'

// The assignments module's tables (who drives which vehicle when), created by db/migrations and merged
// into `Database` (src/database/schema.ts).

export interface VehicleAssignmentsTable extends TenantRow {
  vehicle_id: string
  driver_id: string
  starts_at: Timestamp
  ends_at: Timestamp | null
  notes: string | null
  created_by: string | null
}

declare module '../../database/schema.js' {
  interface Database {
    vehicle_assignments: VehicleAssignmentsTable
  }
}

export type VehicleAssignmentRow = Selectable<VehicleAssignmentsTable>
