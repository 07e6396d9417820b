import type { Fix } from './fixes.js'
import type { TelemetryRow } from './tables.js'

// Engine hours from a tracker, fix by fix (in order; a late fix changes nothing). A tracker that
// reports its own hour meter gives the value: the attribute `hours` in milliseconds (Traccar's
// Position.KEY_HOURS, which its OsmAnd and JSON senders pass through as an attribute) or
// `engineHours` in hours, `hours` first when both come; a value that is not a number of 0 or more
// (decimal text included) is left as an attribute only. Otherwise time counts while the ignition
// is on at two consecutive fixes (Traccar's EngineHoursHandler rule: a fix with the ignition off
// or unknown ends the count), and a tracker that says nothing of its ignition counts no hours at
// all (null: unknown, not zero).
//
// A gap counts at most `maxGapSeconds` (TRIP_STOP_SECONDS): up to a stop's length it is a tracker
// reporting sparsely while the engine idles; beyond, the tracker was silent, and whether the
// engine ran all that time (rather than the vehicle being switched off with the tracker) is
// unknown: hours of silence must not become hours on the meter.
//
// Like the odometer, telemetry keeps its own count (vehicle_telemetry.engine_hours) and what it
// last left in vehicles.engine_hours (vehicle_engine_hours): a different value there is a person's
// reading, from which the count continues.

const MS_PER_HOUR = 3_600_000
const MAX_HOURS = 1_000_000

function hoursIn (value: unknown, perHour: number): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN
  const hours = n / perHour
  return Number.isFinite(hours) && hours >= 0 && hours <= MAX_HOURS ? hours : null
}

/** The tracker's own hour meter, in hours, if the fix carries one. */
export function reportedEngineHours (attributes: Record<string, unknown> | null): number | null {
  if (attributes === null) return null
  return hoursIn(attributes.hours, MS_PER_HOUR) ?? hoursIn(attributes.engineHours, 1)
}

/** Where a batch's count starts: telemetry's own, or the vehicle's when a person set it since (null: not counting yet). */
export function startingEngineHours (telemetry: TelemetryRow | null, vehicleEngineHours: number): number | null {
  if (telemetry === null || telemetry.engine_hours === null) return null
  return telemetry.vehicle_engine_hours !== vehicleEngineHours ? vehicleEngineHours : telemetry.engine_hours
}

/** The count after `fix`, given the count after `previous` (the vehicle's latest fix before it). */
export function engineHoursAfter (hours: number | null, previous: TelemetryRow | null, fix: Fix, vehicleEngineHours: number, maxGapSeconds: number): number | null {
  const reported = reportedEngineHours(fix.attributes)
  if (reported !== null) return reported
  // The tracker speaks of its ignition: counting starts from the vehicle's value.
  const base = hours ?? (fix.ignition === null ? null : vehicleEngineHours)
  if (base === null || previous?.ignition !== true || fix.ignition !== true) return base
  const gap = (fix.recordedAt.getTime() - previous.recorded_at.getTime()) / 1000
  return base + Math.min(gap, maxGapSeconds) / 3600
}
