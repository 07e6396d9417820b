import type { ColumnType, Generated, Selectable } from 'kysely'
import type { Timestamp } from '../../database/schema.js'

// The telematics module's tables (device tokens, positions (partitioned by day), the latest fix per vehicle, trips), created by db/migrations and merged
// into `Database` (src/database/schema.ts).

export interface DeviceTokensTable {
  id: Generated<string>
  organization_id: string
  vehicle_id: string
  /** SHA-256 of the secret, hex. */
  token_hash: string
  issued_at: ColumnType<Date, Date | string | undefined, Date | string>
  issued_by: string | null
}

/** What a tracker measures at a fix (positions and the latest fix of vehicle_telemetry alike). */
interface FixColumns {
  organization_id: string
  vehicle_id: string
  recorded_at: Timestamp
  latitude: number
  longitude: number
  speed_kmh: number | null
  heading: number | null
  altitude_m: number | null
  accuracy_m: number | null
  ignition: boolean | null
  battery_percent: number | null
}

/** One fix. Partitioned by day on recorded_at; primary key (vehicle_id, recorded_at). */
export interface PositionsTable extends FixColumns {
  received_at: ColumnType<Date, Date | string | undefined, never>
  odometer_km: number | null
  attributes: ColumnType<Record<string, unknown> | null, string | null, never>
}

/** The latest fix of a vehicle and the state ingestion carries between batches. */
export interface VehicleTelemetryTable extends FixColumns {
  received_at: Timestamp
  odometer_km: number
  /** What telemetry last wrote to vehicles.odometer_km (another value there is a person's correction). */
  vehicle_odometer_km: number
  /** Engine hours kept from ignition (or the tracker's own hour meter); null until the tracker gives either. */
  engine_hours: number | null
  /** What telemetry last wrote to vehicles.engine_hours. */
  vehicle_engine_hours: number | null
  last_moving_at: Timestamp | null
  trip_id: string | null
  speeding_since: Timestamp | null
  speeding_max_kmh: number | null
  speeding_alerted: boolean
  /** The latest fix's attributes, as stored with it in positions. */
  attributes: ColumnType<Record<string, unknown> | null, string | null, string | null>
}

export interface TripsTable {
  id: string
  organization_id: string
  vehicle_id: string
  driver_id: string | null
  started_at: Timestamp
  /** null while the trip is in progress. */
  ended_at: Timestamp | null
  last_fix_at: Timestamp
  start_latitude: number
  start_longitude: number
  end_latitude: number
  end_longitude: number
  start_odometer_km: number
  distance_km: number
  moving_seconds: number
  idle_seconds: number
  max_speed_kmh: number
  position_count: number
}

declare module '../../database/schema.js' {
  interface Database {
    device_tokens: DeviceTokensTable
    positions: PositionsTable
    vehicle_telemetry: VehicleTelemetryTable
    trips: TripsTable
  }
}

export type PositionRow = Selectable<PositionsTable>
export type TelemetryRow = Selectable<VehicleTelemetryTable>
export type TripRow = Selectable<TripsTable>
