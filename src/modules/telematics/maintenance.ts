import type { Kysely } from 'kysely'
import type { Config } from '../../config.js'
import { tagTransaction } from '../../database/audit.js'
import type { Database } from '../../database/schema.js'
import { recordTelematicsReadings } from '../meters/readings.js'
import { readingsAt } from './ingest.js'
import type { MaintenanceResult, PositionPartitions } from './partitions.js'
import { deleteTrips, detachTrip, findSilentTrips, lockSilentTrip, saveTrips } from './storage.js'
import { closeSilentTrip, type TrackingSettings } from './tracking.js'

// The telematics maintenance job, run by every replica on a timer (src/plugins/telematics.ts)
// and by `npm run ops -- telematics-maintenance`: day partitions of positions created ahead,
// those past the retention dropped, and trips closed whose tracker fell silent mid-trip (a
// tracker switched off with the vehicle sends no "stopped" fix). Idempotent, and safe on every
// replica at once: partitions under an advisory lock, each trip under its vehicle's row lock.

export interface MaintenanceReport extends MaintenanceResult {
  closedTrips: number
  discardedTrips: number
}

export function trackingSettings (config: Config): TrackingSettings {
  return {
    motionKmh: config.TRIP_MOTION_SPEED_KMH,
    stopSeconds: config.TRIP_STOP_SECONDS,
    minTripMeters: config.TRIP_MIN_DISTANCE_METERS,
    geofenceMaxAccuracyM: config.GEOFENCE_MAX_ACCURACY_METERS,
    speedingSeconds: config.SPEEDING_MIN_SECONDS
  }
}

export async function maintainTelematics (db: Kysely<Database>, config: Config, partitions: PositionPartitions, now: Date): Promise<MaintenanceReport> {
  const result = await partitions.maintain(db, now, config.POSITION_PARTITIONS_AHEAD_DAYS, config.POSITION_RETENTION_DAYS)
  const settings = trackingSettings(config)
  const before = new Date(now.getTime() - settings.stopSeconds * 1000)
  let closedTrips = 0
  let discardedTrips = 0
  for (const candidate of await findSilentTrips(db, before)) {
    await db.transaction().execute(async (trx) => {
      await tagTransaction(trx, { actorId: null, actorRole: null, operation: 'telematics maintenance', requestId: null }, candidate.organization_id)
      const silent = await lockSilentTrip(trx, candidate, before)
      if (silent === null) return
      const { ended, discarded } = closeSilentTrip(silent.trip, silent.lastMovingAt, settings.minTripMeters)
      // A closed trip stays the telemetry's trip: if the tracker was only late, its next fixes resume it.
      if (discarded) {
        await deleteTrips(trx, [silent.trip.id])
        await detachTrip(trx, silent.trip.vehicle_id, silent.trip.id)
      }
      if (ended !== null && ended.ended_at !== null) {
        await saveTrips(trx, [ended])
        // The tracker's meters at its last fix: the trip's end, give or take the stationary fixes after its last motion.
        if (silent.odometerKm !== null) await recordTelematicsReadings(trx, candidate.organization_id, readingsAt({ vehicleId: ended.vehicle_id, at: ended.ended_at, odometerKm: silent.odometerKm, engineHours: silent.engineHours }))
      }
      if (discarded) discardedTrips++
      else closedTrips++
    })
  }
  return { ...result, closedTrips, discardedTrips }
}
