import { randomUUID } from 'node:crypto'
import type { AlertKind, AlertSeverity } from '../alerts/tables.js'
import type { GeofenceEventKind, GeofenceRow, GeofenceStateRow } from '../geofences/tables.js'
import type { TelemetryRow, TripRow } from './tables.js'
import { engineHoursAfter, startingEngineHours } from './engine-hours.js'
import type { Fix } from './fixes.js'
import { speedingAfter } from './speeding.js'
import { distanceMeters, nearBox, signedDistanceToCircle, signedDistanceToPolygon } from './geometry.js'

// What a vehicle's new fixes do, worked out in memory from the state the last batch left:
// odometer, engine hours (engine-hours.ts), the latest fix, trips (start on motion, end at
// ignition off, after TRIP_STOP_SECONDS without motion, or when the tracker fell silent that
// long; the meters at each end become the tracker's meter readings), geofence crossings with
// hysteresis (a crossing counts once the vehicle is `margin` metres past the boundary for `dwell`
// seconds: GPS drift along an edge never gets that far for that long) and speeding episodes
// (speeding.ts). The ingest pipeline (ingest.ts) loads the state, runs this, and writes the
// outcome in one transaction.
//
// Only fixes newer than the latest one drive this state; a late fix (older than the latest) is
// stored in the history but does not rewrite the past.

export interface TrackingSettings {
  motionKmh: number
  stopSeconds: number
  minTripMeters: number
  geofenceMaxAccuracyM: number
  speedingSeconds: number
}

export interface VehicleState {
  vehicleId: string
  organizationId: string
  /** vehicles.odometer_km: what people see and may correct. */
  vehicleOdometerKm: number
  /** vehicles.engine_hours, likewise. */
  vehicleEngineHours: number
  speedLimitKmh: number | null
  /** The driver of the current assignment, recorded on trips that start now. */
  driverId: string | null
  telemetry: TelemetryRow | null
  openTrip: TripRow | null
  geofenceStates: GeofenceStateRow[]
}

export interface NewGeofenceEvent {
  id: string
  organization_id: string
  geofence_id: string
  vehicle_id: string
  kind: GeofenceEventKind
  occurred_at: Date
  confirmed_at: Date
  latitude: number
  longitude: number
}

export interface NewAlert {
  id: string
  organization_id: string
  vehicle_id: string
  geofence_id: string | null
  kind: AlertKind
  severity: AlertSeverity
  message: string
  details: Record<string, unknown>
  raised_at: Date
}

export interface Outcome {
  telemetry: TelemetryRow | null
  /** Trips created or changed (upserted by id). */
  trips: TripRow[]
  /** Trips discarded (shorter than TRIP_MIN_DISTANCE_METERS) that had been stored while open. */
  discardedTripIds: string[]
  /** The vehicle's geofence states after the batch, when they changed. */
  geofenceStates: GeofenceStateRow[] | null
  events: NewGeofenceEvent[]
  alerts: NewAlert[]
  /** vehicles.odometer_km to store, rounded as the column is, when it changed. */
  vehicleOdometerKm: number | null
  /** vehicles.engine_hours to store, rounded as the column is, when it changed. */
  vehicleEngineHours: number | null
  /** Odometer per fix index, for the stored rows. */
  fixOdometers: Map<number, number>
  /** The meters when each trip ended (the tracker's meter readings). */
  tripEnds: TripEnd[]
}

export interface TripEnd {
  vehicleId: string
  at: Date
  odometerKm: number
  /** Null while the tracker has said nothing of its ignition or hour meter. */
  engineHours: number | null
}

/** Assumed horizontal accuracy of a fix that does not report one. */
const DEFAULT_ACCURACY_M = 10
const seconds = (later: Date, earlier: Date): number => (later.getTime() - earlier.getTime()) / 1000
const roundTenth = (value: number): number => Math.round(value * 10) / 10

export function track (state: VehicleState, fixes: readonly Fix[], geofences: readonly GeofenceRow[], settings: TrackingSettings): Outcome {
  const outcome: Outcome = { telemetry: null, trips: [], discardedTripIds: [], geofenceStates: null, events: [], alerts: [], vehicleOdometerKm: null, vehicleEngineHours: null, fixOdometers: new Map(), tripEnds: [] }
  let telemetry = state.telemetry === null ? null : { ...state.telemetry }
  // A trip the maintenance sweep closed for silence stays the telemetry's trip (see maintenance.ts):
  // when the next fix continues it (no stop's gap since its last fix), it resumes. A tracker that
  // uploads its fixes late, in chunks, was never silent.
  let resumable = state.openTrip !== null && state.openTrip.ended_at !== null ? state.openTrip : null
  let trip = state.openTrip === null || resumable !== null ? null : { ...state.openTrip }
  let tripStored = trip !== null
  const fencesById = new Map(geofences.map((g) => [g.id, g]))
  // States of geofences deleted meanwhile are dropped.
  const live = state.geofenceStates.filter((s) => fencesById.has(s.geofence_id))
  const geofenceStates = new Map(live.map((s) => [s.geofence_id, { ...s }]))
  let geofencesChanged = live.length !== state.geofenceStates.length

  // Someone corrected the odometer since telemetry last wrote it: continue from their value.
  let odometer = telemetry === null || telemetry.vehicle_odometer_km !== state.vehicleOdometerKm
    ? state.vehicleOdometerKm
    : telemetry.odometer_km
  let engineHours = startingEngineHours(telemetry, state.vehicleEngineHours)

  const closeTrip = (endedAt: Date, meters: { odometerKm: number, engineHours: number | null }): void => {
    if (trip === null) return
    trip.ended_at = endedAt < trip.started_at ? trip.started_at : endedAt
    if (trip.distance_km * 1000 < settings.minTripMeters) {
      if (tripStored) outcome.discardedTripIds.push(trip.id)
    } else {
      outcome.trips.push(trip)
      outcome.tripEnds.push({ vehicleId: state.vehicleId, at: trip.ended_at, ...meters })
    }
    trip = null
    tripStored = false
  }

  for (const fix of fixes) {
    if (telemetry !== null && fix.recordedAt <= telemetry.recorded_at) {
      if (fix.odometerKm !== null) outcome.fixOdometers.set(fix.index, fix.odometerKm)
      continue
    }
    const previous = telemetry
    const gap = previous === null ? Infinity : seconds(fix.recordedAt, previous.recorded_at)
    const measured = previous === null ? 0 : distanceMeters(previous, fix)
    // GPS jitter: a displacement within the two fixes' uncertainty may be no movement at all.
    const jitter = previous === null ? 0 : (previous.accuracy_m ?? DEFAULT_ACCURACY_M) + (fix.accuracyM ?? DEFAULT_ACCURACY_M)
    const beyondJitter = Math.max(0, measured - jitter)
    const speed = fix.speedKmh ?? (previous !== null && gap > 0 ? beyondJitter / gap * 3.6 : 0)
    const moving = speed >= settings.motionKmh && fix.ignition !== false
    const step = moving ? measured : beyondJitter
    const before = { odometerKm: odometer, engineHours }
    odometer = fix.odometerKm ?? odometer + step / 1000
    outcome.fixOdometers.set(fix.index, odometer)
    engineHours = engineHoursAfter(engineHours, previous, fix, state.vehicleEngineHours, settings.stopSeconds)
    let lastMovingAt = previous?.last_moving_at ?? null

    // Trips.
    if (resumable !== null) {
      if (gap <= settings.stopSeconds && previous?.recorded_at.getTime() === resumable.last_fix_at.getTime()) {
        trip = { ...resumable, ended_at: null }
        tripStored = true
      }
      resumable = null
    }
    if (trip !== null && gap > settings.stopSeconds) {
      // The tracker was silent for longer than a stop: the trip ended where it fell silent.
      closeTrip(lastMovingAt ?? trip.last_fix_at, before)
    }
    if (trip !== null) {
      trip.distance_km += step / 1000
      trip.position_count += 1
      trip.last_fix_at = fix.recordedAt
      trip.end_latitude = fix.latitude
      trip.end_longitude = fix.longitude
      trip.max_speed_kmh = Math.max(trip.max_speed_kmh, speed)
      if (moving) trip.moving_seconds += gap
      else if (fix.ignition !== false) trip.idle_seconds += gap
    }
    if (moving) lastMovingAt = fix.recordedAt
    if (trip === null && moving) {
      // Motion began between the previous fix and this one: start from the previous fix if it is recent.
      const from = previous !== null && gap <= settings.stopSeconds ? previous : null
      trip = {
        id: randomUUID(),
        organization_id: state.organizationId,
        vehicle_id: state.vehicleId,
        driver_id: state.driverId,
        started_at: from?.recorded_at ?? fix.recordedAt,
        ended_at: null,
        last_fix_at: fix.recordedAt,
        start_latitude: from?.latitude ?? fix.latitude,
        start_longitude: from?.longitude ?? fix.longitude,
        end_latitude: fix.latitude,
        end_longitude: fix.longitude,
        start_odometer_km: from === null ? odometer : odometer - step / 1000,
        distance_km: from === null ? 0 : step / 1000,
        moving_seconds: from === null ? 0 : gap,
        idle_seconds: 0,
        max_speed_kmh: speed,
        position_count: from === null ? 1 : 2
      }
    } else if (trip !== null && fix.ignition === false) {
      closeTrip(fix.recordedAt, { odometerKm: odometer, engineHours })
    } else if (trip !== null && !moving && lastMovingAt !== null && seconds(fix.recordedAt, lastMovingAt) >= settings.stopSeconds) {
      // Stationary long enough: the trip ended when motion stopped; the wait was not part of it.
      trip.idle_seconds = Math.max(0, trip.idle_seconds - seconds(fix.recordedAt, lastMovingAt))
      closeTrip(lastMovingAt, { odometerKm: odometer, engineHours })
    }

    // Geofences.
    const limits: number[] = state.speedLimitKmh === null ? [] : [state.speedLimitKmh]
    if (fix.accuracyM === null || fix.accuracyM <= settings.geofenceMaxAccuracyM) {
      for (const fence of geofences) {
        const current = geofenceStates.get(fence.id)
        if (current === undefined && !nearBox(fix, fence, fence.margin_m)) continue
        const distance = fence.shape === 'CIRCLE'
          ? signedDistanceToCircle(fix, { latitude: fence.center_latitude as number, longitude: fence.center_longitude as number }, fence.radius_m as number)
          : signedDistanceToPolygon(fix, fence.polygon as Array<[number, number]>)
        // A circle smaller than its margin could never be entered: at most half its radius.
        const margin = fence.shape === 'CIRCLE' ? Math.min(fence.margin_m, (fence.radius_m as number) / 2) : fence.margin_m
        const inside = current?.inside ?? false
        const crossed = inside ? distance > margin : distance < -margin
        const s = current ?? { vehicle_id: state.vehicleId, geofence_id: fence.id, organization_id: state.organizationId, inside: false, pending_since: null, pending_latitude: null, pending_longitude: null }
        // A dwell interrupted by a silence longer than a stop starts again: the silence proves nothing.
        if (crossed && s.pending_since !== null && gap > settings.stopSeconds) {
          s.pending_since = fix.recordedAt
          s.pending_latitude = fix.latitude
          s.pending_longitude = fix.longitude
          geofencesChanged = true
        }
        if (!crossed) {
          if (s.pending_since !== null) {
            s.pending_since = null
            s.pending_latitude = null
            s.pending_longitude = null
            geofencesChanged = true
          }
        } else {
          if (s.pending_since === null) {
            s.pending_since = fix.recordedAt
            s.pending_latitude = fix.latitude
            s.pending_longitude = fix.longitude
            geofencesChanged = true
          }
          if (seconds(fix.recordedAt, s.pending_since) >= fence.dwell_seconds) {
            const kind: GeofenceEventKind = inside ? 'EXIT' : 'ENTER'
            outcome.events.push({
              id: randomUUID(),
              organization_id: state.organizationId,
              geofence_id: fence.id,
              vehicle_id: state.vehicleId,
              kind,
              occurred_at: s.pending_since,
              confirmed_at: fix.recordedAt,
              latitude: s.pending_latitude as number,
              longitude: s.pending_longitude as number
            })
            if (kind === 'ENTER' ? fence.alert_on_enter : fence.alert_on_exit) {
              outcome.alerts.push(alert(state, fence.id, kind === 'ENTER' ? 'GEOFENCE_ENTER' : 'GEOFENCE_EXIT', 'INFO',
                `Vehicle ${kind === 'ENTER' ? 'entered' : 'left'} ${fence.name}`, { geofence: fence.name, latitude: s.pending_latitude, longitude: s.pending_longitude }, fix.recordedAt))
            }
            s.inside = !inside
            s.pending_since = null
            s.pending_latitude = null
            s.pending_longitude = null
            geofencesChanged = true
          }
        }
        if (s.inside || s.pending_since !== null) geofenceStates.set(fence.id, s)
        else geofenceStates.delete(fence.id)
      }
    }
    for (const s of geofenceStates.values()) {
      const limit = s.inside ? fencesById.get(s.geofence_id)?.speed_limit_kmh : null
      if (limit !== null && limit !== undefined) limits.push(limit)
    }

    const speeding = speedingAfter(previous !== null && gap <= settings.stopSeconds ? previous : null, fix, speed, limits.length === 0 ? null : Math.min(...limits), settings.speedingSeconds)
    if (speeding.alert !== null) outcome.alerts.push(alert(state, null, 'SPEEDING', speeding.alert.severity, speeding.alert.message, speeding.alert.details, fix.recordedAt))

    telemetry = {
      vehicle_id: state.vehicleId,
      organization_id: state.organizationId,
      recorded_at: fix.recordedAt,
      received_at: new Date(),
      latitude: fix.latitude,
      longitude: fix.longitude,
      speed_kmh: fix.speedKmh,
      heading: fix.heading,
      altitude_m: fix.altitudeM,
      accuracy_m: fix.accuracyM,
      ignition: fix.ignition,
      battery_percent: fix.batteryPercent,
      attributes: fix.attributes,
      odometer_km: odometer,
      vehicle_odometer_km: state.vehicleOdometerKm,
      engine_hours: engineHours,
      vehicle_engine_hours: engineHours === null ? null : state.vehicleEngineHours,
      last_moving_at: lastMovingAt,
      trip_id: trip?.id ?? null,
      ...speeding.episode
    }
    outcome.telemetry = telemetry
  }

  if (trip !== null) outcome.trips.push(trip)
  if (geofencesChanged) outcome.geofenceStates = [...geofenceStates.values()]
  // The vehicle's odometer follows every kilometre, and exactly when no trip is under way: one
  // write per kilometre, not per batch.
  const target = roundTenth(odometer)
  if (outcome.telemetry !== null && target !== state.vehicleOdometerKm && (trip === null || Math.abs(target - state.vehicleOdometerKm) >= 1)) {
    outcome.vehicleOdometerKm = target
    outcome.telemetry.vehicle_odometer_km = target
  }
  // Engine hours change by a tenth of an hour at most every six minutes: each change is written.
  const hours = engineHours === null ? null : roundTenth(engineHours)
  if (outcome.telemetry !== null && hours !== null && hours !== state.vehicleEngineHours) {
    outcome.vehicleEngineHours = hours
    outcome.telemetry.vehicle_engine_hours = hours
  }
  return outcome
}

/** Ends the open trip of a tracker that fell silent (the maintenance job's sweep). */
export function closeSilentTrip (trip: TripRow, lastMovingAt: Date | null, minTripMeters: number): { ended: TripRow | null, discarded: boolean } {
  if (trip.distance_km * 1000 < minTripMeters) return { ended: null, discarded: true }
  const end = lastMovingAt !== null && lastMovingAt >= trip.started_at && lastMovingAt <= trip.last_fix_at ? lastMovingAt : trip.last_fix_at
  return { ended: { ...trip, ended_at: end }, discarded: false }
}

function alert (state: VehicleState, geofenceId: string | null, kind: AlertKind, severity: AlertSeverity, message: string, details: Record<string, unknown>, at: Date): NewAlert {
  return { id: randomUUID(), organization_id: state.organizationId, vehicle_id: state.vehicleId, geofence_id: geofenceId, kind, severity, message, details, raised_at: at }
}
