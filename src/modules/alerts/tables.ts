import type { ColumnType, Generated, Selectable } from 'kysely'
import type { CreatedAt, Timestamp, UpdatedAt, Version } from '../../database/schema.js'

// The alerts module's tables (alerts), created by db/migrations and merged
// into `Database` (src/database/schema.ts).

export type AlertKind = 'SPEEDING' | 'GEOFENCE_ENTER' | 'GEOFENCE_EXIT' | 'MAINTENANCE_DUE_SOON' | 'MAINTENANCE_OVERDUE'

export type AlertSeverity = 'INFO' | 'WARNING' | 'CRITICAL'

export type AlertStatus = 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED'

export interface AlertsTable {
  id: string
  organization_id: string
  vehicle_id: string | null
  geofence_id: string | null
  /** Maintenance alerts: the schedule that came due, and which due point of it (raised once each). */
  maintenance_schedule_id: string | null
  occurrence: string | null
  kind: AlertKind
  severity: AlertSeverity
  status: Generated<AlertStatus>
  message: string
  details: ColumnType<Record<string, unknown>, string | undefined, string>
  raised_at: Timestamp
  acknowledged_at: Timestamp | null
  acknowledged_by: string | null
  resolved_at: Timestamp | null
  resolved_by: string | null
  created_at: CreatedAt
  updated_at: UpdatedAt
  version: Version
}

declare module '../../database/schema.js' {
  interface Database {
    alerts: AlertsTable
  }
}

export type AlertRow = Selectable<AlertsTable>
