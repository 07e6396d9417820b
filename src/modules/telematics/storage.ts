import { type Kysely, sql, type Transaction } from 'kysely'
import type { Database } from '../../database/schema.js'
import type { GeofenceStateRow } from '../geofences/tables.js'
import type { TelemetryRow, TripRow } from './tables.js'
import type { VehicleStatus } from '../vehicles/tables.js'
import type { Fix } from './fixes.js'
import type { NewAlert, NewGeofenceEvent } from './tracking.js'

// The ingest transaction's SQL. Every write is one statement for the whole batch (arrays
// unnested server-side), whatever the number of fixes or vehicles: never a row at a time.

export interface VehicleIngestRow {
  id: string
  status: VehicleStatus
  odometer_km: string
  engine_hours: string
  speed_limit_kmh: number | null
  telemetry: TelemetryRow | null
  /** The telemetry's trip: open, or closed by the maintenance sweep for silence (it may resume). */
  open_trip: TripRow | null
  geofence_states: GeofenceStateRow[]
}

const TELEMETRY_DATES = ['recorded_at', 'received_at', 'last_moving_at', 'speeding_since'] as const
const TRIP_DATES = ['started_at', 'ended_at', 'last_fix_at'] as const

function revive<T> (json: Record<string, unknown> | null, dates: readonly string[]): T | null {
  if (json === null) return null
  for (const key of dates) if (typeof json[key] === 'string') json[key] = new Date(json[key])
  return json as T
}

/**
 * Locks the vehicles of a batch (in id order: concurrent batches never deadlock), so that batches
 * of one vehicle run one after the other. The same statement (one round trip less per batch) marks
 * the transaction as telemetry, so that odometer updates that follow are not edits (migration
 * 0008), and sets its write scope to the organization (migration 0009). The settings come first:
 * the lateral subquery reads them, so PostgreSQL must compute them before the write policy checks
 * the locked rows. Returns the ids found.
 */
export async function lockVehicles (trx: Transaction<Database>, organizationId: string, vehicleIds: readonly string[]): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    /* telematics.lockVehicles */
    select locked.id
      from (select set_config('fleet.telemetry', 'on', true), set_config('fleet.organization_id', ${organizationId}, true)) as mode (telemetry, scope)
     cross join lateral (
       select v.id from vehicles v
        where v.organization_id = mode.scope::uuid and v.id = any(cast(${vehicleIds} as uuid[]))
        order by v.id
          for no key update
     ) as locked`.execute(trx)
  return rows.map((row) => row.id)
}

/**
 * The locked vehicles with the state the last batch left. A statement of its own, after the lock:
 * in READ COMMITTED each statement sees what was committed before it began, so a batch that waited
 * for the lock reads what the batch before it wrote.
 */
export async function vehicleStates (trx: Transaction<Database>, organizationId: string, vehicleIds: readonly string[]): Promise<VehicleIngestRow[]> {
  if (vehicleIds.length === 0) return []
  const { rows } = await sql<Omit<VehicleIngestRow, 'telemetry' | 'open_trip' | 'geofence_states'> & { telemetry: Record<string, unknown> | null, open_trip: Record<string, unknown> | null, geofence_states: Array<Record<string, unknown>> }>`
    /* telematics.vehicleStates */
    select v.id, v.status, v.odometer_km, v.engine_hours, v.speed_limit_kmh,
           to_jsonb(t) as telemetry,
           to_jsonb(tr) as open_trip,
           (select coalesce(jsonb_agg(to_jsonb(s)), '[]'::jsonb) from vehicle_geofence_states s where s.vehicle_id = v.id) as geofence_states
      from vehicles v
      left join vehicle_telemetry t on t.vehicle_id = v.id
      left join trips tr on tr.id = t.trip_id
     where v.organization_id = ${organizationId} and v.id = any(cast(${vehicleIds} as uuid[]))`.execute(trx)
  return rows.map((row) => ({
    ...row,
    telemetry: revive<TelemetryRow>(row.telemetry, TELEMETRY_DATES),
    open_trip: revive<TripRow>(row.open_trip, TRIP_DATES),
    geofence_states: row.geofence_states.map((s) => revive<GeofenceStateRow>(s, ['pending_since']) as GeofenceStateRow)
  }))
}

/** Stores fixes; those already stored are skipped. Returns the keys of those that were new. */
export async function insertPositions (trx: Transaction<Database>, organizationId: string, fixes: readonly Fix[], odometers: ReadonlyMap<number, number>): Promise<Array<{ vehicle_id: string, recorded_at: Date }>> {
  if (fixes.length === 0) return []
  const { rows } = await sql<{ vehicle_id: string, recorded_at: Date }>`
    /* telematics.insertPositions */
    insert into positions (organization_id, vehicle_id, recorded_at, latitude, longitude, speed_kmh, heading, altitude_m, accuracy_m, odometer_km, ignition, battery_percent, attributes)
    select ${organizationId}, * from unnest(
      cast(${fixes.map((f) => f.vehicleId)} as uuid[]),
      cast(${fixes.map((f) => f.recordedAt.toISOString())} as timestamptz[]),
      cast(${fixes.map((f) => f.latitude)} as float8[]),
      cast(${fixes.map((f) => f.longitude)} as float8[]),
      cast(${fixes.map((f) => f.speedKmh)} as real[]),
      cast(${fixes.map((f) => f.heading)} as real[]),
      cast(${fixes.map((f) => f.altitudeM)} as real[]),
      cast(${fixes.map((f) => f.accuracyM)} as real[]),
      cast(${fixes.map((f) => odometers.get(f.index) ?? null)} as float8[]),
      cast(${fixes.map((f) => f.ignition)} as boolean[]),
      cast(${fixes.map((f) => f.batteryPercent)} as real[]),
      cast(${fixes.map((f) => f.attributes === null ? null : JSON.stringify(f.attributes))} as jsonb[])
    )
    on conflict do nothing
    returning vehicle_id, recorded_at`.execute(trx)
  return rows
}

export async function saveTelemetry (trx: Transaction<Database>, rows: readonly TelemetryRow[]): Promise<void> {
  if (rows.length === 0) return
  const column = <K extends keyof TelemetryRow>(key: K) => rows.map((r) => { const v = r[key]; return v instanceof Date ? v.toISOString() : v })
  await sql`
    /* telematics.saveTelemetry */
    insert into vehicle_telemetry (vehicle_id, organization_id, recorded_at, received_at, latitude, longitude, speed_kmh, heading, altitude_m, accuracy_m,
                                   ignition, battery_percent, attributes, odometer_km, vehicle_odometer_km, engine_hours, vehicle_engine_hours,
                                   last_moving_at, trip_id, speeding_since, speeding_max_kmh, speeding_alerted)
    select * from unnest(
      cast(${column('vehicle_id')} as uuid[]), cast(${column('organization_id')} as uuid[]),
      cast(${column('recorded_at')} as timestamptz[]), cast(${column('received_at')} as timestamptz[]),
      cast(${column('latitude')} as float8[]), cast(${column('longitude')} as float8[]),
      cast(${column('speed_kmh')} as real[]), cast(${column('heading')} as real[]),
      cast(${column('altitude_m')} as real[]), cast(${column('accuracy_m')} as real[]),
      cast(${column('ignition')} as boolean[]), cast(${column('battery_percent')} as real[]),
      cast(${rows.map((r) => r.attributes === null ? null : JSON.stringify(r.attributes))} as jsonb[]),
      cast(${column('odometer_km')} as float8[]), cast(${column('vehicle_odometer_km')} as float8[]),
      cast(${column('engine_hours')} as float8[]), cast(${column('vehicle_engine_hours')} as float8[]),
      cast(${column('last_moving_at')} as timestamptz[]),
      cast(${column('trip_id')} as uuid[]), cast(${column('speeding_since')} as timestamptz[]),
      cast(${column('speeding_max_kmh')} as real[]), cast(${column('speeding_alerted')} as boolean[])
    )
    on conflict (vehicle_id) do update set
      recorded_at = excluded.recorded_at, received_at = excluded.received_at, latitude = excluded.latitude, longitude = excluded.longitude,
      speed_kmh = excluded.speed_kmh, heading = excluded.heading, altitude_m = excluded.altitude_m, accuracy_m = excluded.accuracy_m,
      ignition = excluded.ignition, battery_percent = excluded.battery_percent, attributes = excluded.attributes, odometer_km = excluded.odometer_km,
      vehicle_odometer_km = excluded.vehicle_odometer_km, engine_hours = excluded.engine_hours, vehicle_engine_hours = excluded.vehicle_engine_hours,
      last_moving_at = excluded.last_moving_at, trip_id = excluded.trip_id, speeding_since = excluded.speeding_since,
      speeding_max_kmh = excluded.speeding_max_kmh, speeding_alerted = excluded.speeding_alerted`.execute(trx)
}

/** Inserts new trips and updates changed ones (by id). */
export async function saveTrips (trx: Transaction<Database>, rows: readonly TripRow[]): Promise<void> {
  if (rows.length === 0) return
  const column = <K extends keyof TripRow>(key: K) => rows.map((r) => { const v = r[key]; return v instanceof Date ? v.toISOString() : v })
  await sql`
    /* telematics.saveTrips */
    insert into trips (id, organization_id, vehicle_id, driver_id, started_at, ended_at, last_fix_at, start_latitude, start_longitude,
                       end_latitude, end_longitude, start_odometer_km, distance_km, moving_seconds, idle_seconds, max_speed_kmh, position_count)
    select * from unnest(
      cast(${column('id')} as uuid[]), cast(${column('organization_id')} as uuid[]), cast(${column('vehicle_id')} as uuid[]),
      cast(${column('driver_id')} as uuid[]), cast(${column('started_at')} as timestamptz[]), cast(${column('ended_at')} as timestamptz[]),
      cast(${column('last_fix_at')} as timestamptz[]), cast(${column('start_latitude')} as float8[]), cast(${column('start_longitude')} as float8[]),
      cast(${column('end_latitude')} as float8[]), cast(${column('end_longitude')} as float8[]), cast(${column('start_odometer_km')} as float8[]),
      cast(${column('distance_km')} as float8[]), cast(${column('moving_seconds')} as float8[]), cast(${column('idle_seconds')} as float8[]),
      cast(${column('max_speed_kmh')} as real[]), cast(${column('position_count')} as integer[])
    )
    on conflict (id) do update set
      ended_at = excluded.ended_at, last_fix_at = excluded.last_fix_at, end_latitude = excluded.end_latitude, end_longitude = excluded.end_longitude,
      distance_km = excluded.distance_km, moving_seconds = excluded.moving_seconds, idle_seconds = excluded.idle_seconds,
      max_speed_kmh = excluded.max_speed_kmh, position_count = excluded.position_count`.execute(trx)
}

export async function deleteTrips (trx: Transaction<Database>, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  await trx.deleteFrom('trips').where('id', 'in', ids).execute()
}

/** Replaces the geofence states of the given vehicles. */
export async function replaceGeofenceStates (trx: Transaction<Database>, vehicleIds: readonly string[], rows: readonly GeofenceStateRow[]): Promise<void> {
  if (vehicleIds.length === 0) return
  await trx.deleteFrom('vehicle_geofence_states').where('vehicle_id', 'in', vehicleIds).execute()
  if (rows.length === 0) return
  await trx.insertInto('vehicle_geofence_states').values(rows.map((r) => ({ ...r }))).execute()
}

export async function insertGeofenceEvents (trx: Transaction<Database>, rows: readonly NewGeofenceEvent[]): Promise<void> {
  if (rows.length === 0) return
  await trx.insertInto('geofence_events').values(rows.map((r) => ({ ...r }))).execute()
}

export async function insertAlerts (trx: Transaction<Database>, rows: readonly NewAlert[]): Promise<void> {
  if (rows.length === 0) return
  await trx.insertInto('alerts').values(rows.map((r) => ({ ...r, details: JSON.stringify(r.details) }))).execute()
}

/** Moves vehicles' odometers and engine hours (null: that meter stays) in one statement; telemetry's, so not an edit. */
export async function advanceMeters (trx: Transaction<Database>, organizationId: string, updates: ReadonlyArray<{ vehicleId: string, km: number | null, hours: number | null }>): Promise<void> {
  if (updates.length === 0) return
  await sql`
    /* telematics.advanceMeters */
    update vehicles v set odometer_km = coalesce(u.km, v.odometer_km), engine_hours = coalesce(u.hours, v.engine_hours)
      from unnest(cast(${updates.map((u) => u.vehicleId)} as uuid[]), cast(${updates.map((u) => u.km)} as numeric[]), cast(${updates.map((u) => u.hours)} as numeric[])) as u(id, km, hours)
     where v.organization_id = ${organizationId} and v.id = u.id`.execute(trx)
}

/** Open trips whose tracker has been silent since before `before` (the maintenance sweep). */
export async function findSilentTrips (db: Kysely<Database>, before: Date): Promise<Array<{ id: string, organization_id: string, vehicle_id: string }>> {
  return await db.selectFrom('trips').select(['id', 'organization_id', 'vehicle_id'])
    .where('ended_at', 'is', null).where('last_fix_at', '<', before)
    .limit(1000).execute()
}

export interface SilentTrip {
  trip: TripRow
  lastMovingAt: Date | null
  /** The meters at the tracker's last fix (the trip's, since it is still the telemetry's trip). */
  odometerKm: number | null
  engineHours: number | null
}

/**
 * Locks the vehicle as a batch does (the transaction is telemetry's from then on: what it writes
 * is not an edit) and returns its open trip if it is still silent since before `before`, with its
 * last motion and meters.
 */
export async function lockSilentTrip (trx: Transaction<Database>, trip: { id: string, organization_id: string, vehicle_id: string }, before: Date): Promise<SilentTrip | null> {
  await lockVehicles(trx, trip.organization_id, [trip.vehicle_id])
  const row = await trx.selectFrom('trips')
    .leftJoin('vehicle_telemetry', 'vehicle_telemetry.vehicle_id', 'trips.vehicle_id')
    .selectAll('trips').select(['vehicle_telemetry.last_moving_at', 'vehicle_telemetry.odometer_km as telemetry_odometer_km', 'vehicle_telemetry.engine_hours'])
    .where('trips.id', '=', trip.id).where('trips.ended_at', 'is', null).where('trips.last_fix_at', '<', before)
    .executeTakeFirst()
  if (row === undefined) return null
  const { last_moving_at: lastMovingAt, telemetry_odometer_km: odometerKm, engine_hours: engineHours, ...rest } = row
  return { trip: rest, lastMovingAt, odometerKm, engineHours }
}

export async function detachTrip (trx: Transaction<Database>, vehicleId: string, tripId: string): Promise<void> {
  await trx.updateTable('vehicle_telemetry').set({ trip_id: null }).where('vehicle_id', '=', vehicleId).where('trip_id', '=', tripId).execute()
}
