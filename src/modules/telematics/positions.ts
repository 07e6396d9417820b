import type { PositionRow, TelemetryRow } from './tables.js'
import { badInput } from '../../errors.js'

// What a Position is to the resolvers: a stored fix, or the latest fix of vehicle_telemetry.

export type PositionRecord = Pick<PositionRow, 'recorded_at' | 'latitude' | 'longitude' | 'speed_kmh' | 'heading' | 'altitude_m' | 'accuracy_m' | 'ignition' | 'battery_percent'> & {
  received_at: Date | null
  odometer_km: number | null
  attributes: Record<string, unknown> | null
}

/** A fix in a page of history: the vehicle id doubles as the cursor's tiebreaker (recorded_at is unique per vehicle). */
export type PositionPageRow = PositionRecord & { id: string }

export interface VehiclePositionParent {
  vehicleId: string
  position: PositionRecord
}

export function latestPosition (row: TelemetryRow): PositionRecord {
  return row
}

/** Longest history range one request may ask for (GraphQL and the track export alike). */
const MAX_RANGE_DAYS = 366

/** Checks a history range [from, to). */
export function historyRange (from: Date, to: Date): void {
  if (to <= from) throw badInput('to must be after from', 'to')
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) throw badInput(`A range spans at most ${MAX_RANGE_DAYS} days`, 'to')
}
