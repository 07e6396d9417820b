import type { ColumnType, Selectable } from 'kysely'
import type { TenantRow, Timestamp } from '../../database/schema.js'

// The geofences module's tables (geofences, where each vehicle stands towards them, and their crossings), created by db/migrations and merged
// into `Database` (src/database/schema.ts).

export type GeofenceShape = 'CIRCLE' | 'POLYGON'

export interface GeofencesTable extends TenantRow {
  facility_id: string | null
  name: string
  shape: GeofenceShape
  center_latitude: number | null
  center_longitude: number | null
  radius_m: number | null
  /** [[latitude, longitude], ...], the ring's vertices in order (closing vertex implied). */
  polygon: ColumnType<Array<[number, number]> | null, string | null, string | null>
  min_latitude: number
  max_latitude: number
  min_longitude: number
  max_longitude: number
  dwell_seconds: number
  margin_m: number
  speed_limit_kmh: number | null
  alert_on_enter: boolean
  alert_on_exit: boolean
  deleted_at: Timestamp | null
}

export interface VehicleGeofenceStatesTable {
  vehicle_id: string
  geofence_id: string
  organization_id: string
  inside: boolean
  pending_since: Timestamp | null
  pending_latitude: number | null
  pending_longitude: number | null
}

export type GeofenceEventKind = 'ENTER' | 'EXIT'

export interface GeofenceEventsTable {
  id: string
  organization_id: string
  geofence_id: string
  vehicle_id: string
  kind: GeofenceEventKind
  /** When the vehicle crossed (the first fix on the new side). */
  occurred_at: Timestamp
  /** When the crossing was confirmed (dwell time and margin satisfied). */
  confirmed_at: Timestamp
  latitude: number
  longitude: number
}

declare module '../../database/schema.js' {
  interface Database {
    geofences: GeofencesTable
    vehicle_geofence_states: VehicleGeofenceStatesTable
    geofence_events: GeofenceEventsTable
  }
}

export type GeofenceRow = Selectable<GeofencesTable>
export type GeofenceStateRow = Selectable<VehicleGeofenceStatesTable>
export type GeofenceEventRow = Selectable<GeofenceEventsTable>
