import type { Kysely } from 'kysely'
import { SYSTEM_SCOPE, tagTransaction } from '../../src/database/audit.js'
import type { Database } from '../../src/database/schema.js'
import { insertGeofence } from '../../src/modules/geofences/queries.js'
import { newGeofence } from '../../src/modules/geofences/validation.js'
import { checkFix, type RawFix } from '../../src/modules/telematics/fixes.js'
import { ingest } from '../../src/modules/telematics/ingest.js'
import { PositionPartitions } from '../../src/modules/telematics/partitions.js'
import type { TrackingSettings } from '../../src/modules/telematics/tracking.js'

// The demo fleet's last hours on the road, so the live map, history, trips, geofence events and
// alerts have something to show from the first start: a geofence around every facility, and
// for the first active vehicles of each organization a round trip from their facility (out,
// a stop with the engine off, back), sent through the real ingest pipeline so trips, crossings
// and alerts are derived exactly as for a tracker. One vehicle has a speed limit it exceeds.

const SETTINGS: TrackingSettings = { motionKmh: 5, stopSeconds: 300, minTripMeters: 200, geofenceMaxAccuracyM: 100, speedingSeconds: 30 }
const STEP_SECONDS = 15
const EARTH_RADIUS_M = 6_371_008.8
const RADIANS = Math.PI / 180
const MINUTE = 60_000

function offset (latitude: number, longitude: number, bearing: number, meters: number): [number, number] {
  const d = meters / EARTH_RADIUS_M
  const lat1 = latitude * RADIANS
  const b = bearing * RADIANS
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(b))
  const lon2 = longitude * RADIANS + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2))
  return [lat2 / RADIANS, lon2 / RADIANS]
}

/** Out along `bearing`, 10 minutes parked with the engine off, and back; from `start`. */
function roundTrip (home: [number, number], bearing: number, speedKmh: number, start: Date): RawFix[] {
  const fixes: RawFix[] = []
  const stepM = speedKmh / 3.6 * STEP_SECONDS
  const legSteps = 48
  let t = start.getTime()
  const push = (position: [number, number], speed: number, ignition: boolean) => {
    fixes.push({ recordedAt: new Date(t).toISOString(), latitude: position[0], longitude: position[1], speed, heading: bearing, ignition, accuracy: 6, battery: 80 })
    t += STEP_SECONDS * 1000
  }
  for (let i = 0; i < 4; i++) push(home, 0, true)
  for (let i = 1; i <= legSteps; i++) push(offset(home[0], home[1], bearing, stepM * i), speedKmh, true)
  const far = offset(home[0], home[1], bearing, stepM * legSteps)
  for (let i = 0; i < 40; i++) push(far, 0, false)
  for (let i = legSteps - 1; i >= 0; i--) push(offset(home[0], home[1], bearing, stepM * i), speedKmh, true)
  for (let i = 0; i < 4; i++) push(home, 0, false)
  return fixes
}

export async function seedTelematics (db: Kysely<Database>, now: Date, vehiclesPerOrganization: Record<string, number>): Promise<{ positions: number, geofences: number }> {
  const partitions = new PositionPartitions()
  let positions = 0
  let geofences = 0
  for (const [slug, count] of Object.entries(vehiclesPerOrganization)) {
    const organization = await db.selectFrom('organizations').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()
    const facilities = await db.selectFrom('facilities').selectAll().where('organization_id', '=', organization.id).orderBy('code').execute()
    geofences += await db.transaction().execute(async (trx) => {
      await tagTransaction(trx, { actorId: null, actorRole: null, operation: 'seed', requestId: null }, SYSTEM_SCOPE)
      let created = 0
      for (const [i, facility] of facilities.entries()) {
        if (facility.latitude === null || facility.longitude === null) continue
        await insertGeofence(trx, newGeofence({
          name: facility.name,
          shape: 'CIRCLE',
          center: { latitude: facility.latitude, longitude: facility.longitude },
          radius: 300,
          facilityId: facility.id,
          alertOnEnter: i === 0,
          speedLimit: 30
        }, organization.id))
        created++
      }
      return created
    })
    const vehicles = await db.selectFrom('vehicles').select(['id', 'facility_id', 'speed_limit_kmh']).where('organization_id', '=', organization.id)
      .where('status', '=', 'ACTIVE').where('facility_id', 'is not', null).orderBy('number').limit(count).execute()
    const raw: RawFix[] = []
    for (const [i, vehicle] of vehicles.entries()) {
      const home = facilities.find((f) => f.id === vehicle.facility_id)
      if (home?.latitude === null || home?.latitude === undefined || home.longitude === null) continue
      const speeding = vehicle.speed_limit_kmh !== null
      const start = new Date(now.getTime() - (180 - i * 7) * MINUTE)
      raw.push(...roundTrip([home.latitude, home.longitude], (i * 67) % 360, speeding ? 72 : 45, start).map((fix) => ({ ...fix, vehicleId: vehicle.id })))
    }
    const limits = { now, maxFutureSeconds: 300, retentionDays: 36500 }
    const report = await ingest({ db, partitions, geofences: async () => await db.selectFrom('geofences').selectAll().where('organization_id', '=', organization.id).execute(), settings: SETTINGS },
      organization.id, raw.map((fix, index) => checkFix(fix, index, limits)))
    positions += report.accepted
  }
  return { positions, geofences }
}
