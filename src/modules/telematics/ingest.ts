import type { Kysely } from 'kysely'
import type { Database } from '../../database/schema.js'
import type { GeofenceRow } from '../geofences/tables.js'
import type { TelemetryRow } from './tables.js'
import { findDriversAt } from '../assignments/queries.js'
import { type Fix, isRejection, type Rejection } from './fixes.js'
import type { PositionPartitions } from './partitions.js'
import { advanceMeters, deleteTrips, insertAlerts, insertGeofenceEvents, insertPositions, lockVehicles, replaceGeofenceStates, vehicleStates, saveTelemetry, saveTrips } from './storage.js'
import { recordTelematicsReadings, type TelematicsReading } from '../meters/readings.js'
import { type NewAlert, type Outcome, track, type TrackingSettings, type TripEnd } from './tracking.js'

// The ingest pipeline, the same for every door (GraphQL, device JSON/NDJSON, OsmAnd): checked
// fixes in, one transaction out. Fixes repeated within the batch are duplicates; fixes of
// vehicles not in the organization (or retired) are rejected; the rest are stored with one
// multi-row insert that skips what is already stored (idempotency), and each vehicle's new fixes,
// in time order, advance its live state (tracking.ts).

export interface IngestEnvironment {
  db: Kysely<Database>
  partitions: PositionPartitions
  /** The organization's geofences (cached; see src/modules/geofences/directory.ts). */
  geofences: (organizationId: string) => Promise<GeofenceRow[]>
  settings: TrackingSettings
}

export interface IngestReport {
  accepted: number
  /** Indexes of the fixes stored (the others were rejected or duplicates). */
  stored: Set<number>
  duplicates: number
  rejected: Rejection[]
  /** The new latest fix of each vehicle that has one. */
  latest: TelemetryRow[]
  alerts: NewAlert[]
  /** Vehicles whose odometer or engine hours moved (their cached rows are stale). */
  metersChanged: string[]
}

const key = (fix: Fix): string => `${fix.vehicleId}/${fix.recordedAt.getTime()}`

export async function ingest (env: IngestEnvironment, organizationId: string, checked: ReadonlyArray<Fix | Rejection>): Promise<IngestReport> {
  const rejected: Rejection[] = []
  const seen = new Map<string, number>()
  let duplicates = 0
  const byVehicle = new Map<string, Fix[]>()
  for (const item of checked) {
    if (isRejection(item)) { rejected.push(item); continue }
    if (seen.has(key(item))) { duplicates++; continue }
    seen.set(key(item), item.index)
    const list = byVehicle.get(item.vehicleId) ?? []
    list.push(item)
    byVehicle.set(item.vehicleId, list)
  }
  const report: IngestReport = { accepted: 0, stored: new Set(), duplicates, rejected, latest: [], alerts: [], metersChanged: [] }
  if (byVehicle.size === 0) return sorted(report)
  for (const fixes of byVehicle.values()) fixes.sort((a, b) => a.recordedAt.getTime() - b.recordedAt.getTime())

  await env.partitions.ensure(env.db, [...byVehicle.values()].flat().map((f) => f.recordedAt))
  const geofences = await env.geofences(organizationId)

  await env.db.transaction().execute(async (trx) => {
    const locked = await lockVehicles(trx, organizationId, [...byVehicle.keys()])
    const vehicles = new Map((await vehicleStates(trx, organizationId, locked)).map((v) => [v.id, v]))
    const stored: Fix[] = []
    const odometers = new Map<number, number>()
    const outcomes: Outcome[] = []
    const statesChanged: string[] = []
    const meterUpdates: Array<{ vehicleId: string, km: number | null, hours: number | null }> = []
    for (const [vehicleId, fixes] of byVehicle) {
      const vehicle = vehicles.get(vehicleId)
      if (vehicle === undefined || vehicle.status === 'RETIRED') {
        for (const fix of fixes) {
          rejected.push(vehicle === undefined
            ? { index: fix.index, code: 'UNKNOWN_VEHICLE', message: `No vehicle ${vehicleId} in your organization` }
            : { index: fix.index, code: 'VEHICLE_RETIRED', message: `Vehicle ${vehicleId} is retired` })
        }
        continue
      }
      const outcome = track({
        vehicleId,
        organizationId,
        vehicleOdometerKm: Number(vehicle.odometer_km),
        vehicleEngineHours: Number(vehicle.engine_hours),
        speedLimitKmh: vehicle.speed_limit_kmh,
        driverId: null,
        telemetry: vehicle.telemetry,
        openTrip: vehicle.open_trip,
        geofenceStates: vehicle.geofence_states
      }, fixes, geofences, env.settings)
      outcomes.push(outcome)
      stored.push(...fixes)
      for (const [index, km] of outcome.fixOdometers) odometers.set(index, km)
      if (outcome.geofenceStates !== null) statesChanged.push(vehicleId)
      if (outcome.vehicleOdometerKm !== null || outcome.vehicleEngineHours !== null) {
        meterUpdates.push({ vehicleId, km: outcome.vehicleOdometerKm, hours: outcome.vehicleEngineHours })
      }
    }

    const inserted = await insertPositions(trx, organizationId, stored, odometers)
    report.stored = new Set(inserted.map((row) => seen.get(`${row.vehicle_id}/${row.recorded_at.getTime()}`) as number))
    report.accepted = inserted.length
    report.duplicates += stored.length - report.accepted

    const trips = outcomes.flatMap((o) => o.trips)
    const openTripIds = new Set([...vehicles.values()].map((v) => v.open_trip?.id))
    const started = trips.filter((t) => !openTripIds.has(t.id))
    // Trips record who was driving when they started.
    const drivers = await findDriversAt(trx, organizationId, started.map((t) => ({ vehicleId: t.vehicle_id, at: t.started_at })))
    for (const trip of started) trip.driver_id = drivers.find((d) => d.vehicle_id === trip.vehicle_id && d.at.getTime() === trip.started_at.getTime())?.driver_id ?? null
    // Discarded open trips go first: a new trip of the same vehicle may take their place as the open one.
    await deleteTrips(trx, outcomes.flatMap((o) => o.discardedTripIds))
    await saveTrips(trx, trips)
    await recordTelematicsReadings(trx, organizationId, outcomes.flatMap((o) => o.tripEnds.flatMap(readingsAt)))
    report.latest = outcomes.flatMap((o) => o.telemetry === null ? [] : [o.telemetry])
    await saveTelemetry(trx, report.latest)
    await replaceGeofenceStates(trx, statesChanged, outcomes.flatMap((o) => o.geofenceStates ?? []))
    await insertGeofenceEvents(trx, outcomes.flatMap((o) => o.events))
    report.alerts = outcomes.flatMap((o) => o.alerts)
    await insertAlerts(trx, report.alerts)
    await advanceMeters(trx, organizationId, meterUpdates)
    report.metersChanged = meterUpdates.map((u) => u.vehicleId)
  })
  return sorted(report)
}

/** The tracker's meter readings at the end of a trip: the odometer, and engine hours once known. */
export function readingsAt (end: Pick<TripEnd, 'vehicleId' | 'at' | 'odometerKm' | 'engineHours'>): TelematicsReading[] {
  const odometer: TelematicsReading = { vehicleId: end.vehicleId, kind: 'ODOMETER', value: end.odometerKm, recordedAt: end.at }
  return end.engineHours === null ? [odometer] : [odometer, { vehicleId: end.vehicleId, kind: 'ENGINE_HOURS', value: end.engineHours, recordedAt: end.at }]
}

function sorted (report: IngestReport): IngestReport {
  report.rejected.sort((a, b) => a.index - b.index)
  return report
}
