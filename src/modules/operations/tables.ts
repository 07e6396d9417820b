import type { Selectable } from 'kysely'
import type { Row } from '../../database/schema.js'

// The operations module's tables (feature flags and maintenance mode, per organization or for the whole service), created by db/migrations and merged
// into `Database` (src/database/schema.ts).

export interface FeatureFlagsTable extends Row {
  organization_id: string | null
  name: string
  enabled: boolean
  reason: string | null
  updated_by: string | null
}

export interface MaintenanceModesTable extends Row {
  organization_id: string | null
  message: string
  enabled_by: string | null
}

declare module '../../database/schema.js' {
  interface Database {
    feature_flags: FeatureFlagsTable
    maintenance_modes: MaintenanceModesTable
  }
}

export type FeatureFlagRow = Selectable<FeatureFlagsTable>
export type MaintenanceModeRow = Selectable<MaintenanceModesTable>
