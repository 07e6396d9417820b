import { type Kysely, sql } from 'kysely'
import { anyOf } from '../../database/filters.js'
import type { Database } from '../../database/schema.js'
import type { TelemetryRow, TripRow } from './tables.js'
import { type ConnectionArgs, type Page, paginateFiltered, type SortKey } from '../../graphql/pagination.js'
import type { PositionPageRow } from './positions.js'
import { simplifyTrack } from './simplify.js'

// Reads of positions, the latest fixes and trips. A vehicle's history is read through the
// positions primary key (vehicle_id, recorded_at), which partition pruning narrows to the days
// asked for.

const POSITION_COLUMNS = ['recorded_at', 'received_at', 'latitude', 'longitude', 'speed_kmh', 'heading', 'altitude_m', 'accuracy_m', 'odometer_km', 'ignition', 'battery_percent', 'attributes'] as const

/** Oldest first; the vehicle id is the tiebreaker the cursor format wants (constant within a vehicle). */
const POSITION_SORT: SortKey<PositionPageRow> = { name: 'RECORDED_AT_ASC', column: 'positions.recorded_at', type: 'timestamptz', direction: 'asc', idColumn: 'positions.vehicle_id', value: (p) => p.recorded_at }
const TRIP_SORT: SortKey<TripRow> = { name: 'STARTED_AT_DESC', column: 'trips.started_at', type: 'timestamptz', direction: 'desc', idColumn: 'trips.id', value: (t) => t.started_at }

function vehiclePositions (db: Kysely<Database>, organizationId: string, vehicleId: string, from: Date, to: Date) {
  return db.selectFrom('positions')
    .where('positions.vehicle_id', '=', vehicleId)
    .where('positions.organization_id', '=', organizationId)
    .where('positions.recorded_at', '>=', from)
    .where('positions.recorded_at', '<', to)
}

export async function pageOfPositions (db: Kysely<Database>, organizationId: string, vehicleId: string, from: Date, to: Date, args: ConnectionArgs): Promise<Page<PositionPageRow>> {
  return await paginateFiltered<Database, 'positions', PositionPageRow>(vehiclePositions(db, organizationId, vehicleId, from, to),
    (q) => q.select([...POSITION_COLUMNS, 'positions.vehicle_id as id']), args, POSITION_SORT)
}

/** A range of up to this many fixes (a day of 10-second fixes, twice) is read whole; a longer one is sampled first. */
const READ_WHOLE_MAX = 20_000
/** What a simplified track carries: not the attributes (up to 4 KB a fix). */
const SIMPLIFIED_COLUMNS = POSITION_COLUMNS.filter((column) => column !== 'attributes')

/**
 * The range simplified to at most `maxPoints` fixes, without their attributes. A range with that
 * few fixes comes back whole. Up to 20,000 fixes are read in one index range scan and simplified.
 * Beyond that, the range between its first and last fix is cut into 4 x maxPoints time buckets
 * and the first fix of each is read by an index probe (the cost grows with maxPoints, not with the
 * number of fixes: a month of 10-second fixes for 1,000 points is 4,000 probes, not 259,200
 * rows). Douglas-Peucker then keeps the maxPoints that carry the shape.
 */
export async function simplifiedPositions (db: Kysely<Database>, organizationId: string, vehicleId: string, from: Date, to: Date, maxPoints: number): Promise<PositionPageRow[]> {
  const range = () => vehiclePositions(db, organizationId, vehicleId, from, to)
    .select([...SIMPLIFIED_COLUMNS, sql<null>`null`.as('attributes'), 'positions.vehicle_id as id'])
  const head = await range().orderBy('recorded_at').limit(Math.max(maxPoints, READ_WHOLE_MAX) + 1).execute()
  if (head.length <= maxPoints) return head
  if (head.length <= READ_WHOLE_MAX) return simplifyTrack(head, maxPoints)
  const last = await range().orderBy('recorded_at', 'desc').limit(1).executeTakeFirstOrThrow()
  const first = head[0] as PositionPageRow
  const buckets = maxPoints * 4
  const widthMs = (last.recorded_at.getTime() - first.recorded_at.getTime()) / buckets
  const { rows } = await sql<PositionPageRow>`
    /* telematics.simplifiedPositions */
    select p.* from generate_series(0, ${buckets - 1}) as b(i)
    cross join lateral (
      select recorded_at, received_at, latitude, longitude, speed_kmh, heading, altitude_m, accuracy_m, odometer_km, ignition, battery_percent, null as attributes, vehicle_id as id
        from positions
       where vehicle_id = ${vehicleId} and organization_id = ${organizationId}
         and recorded_at >= cast(${first.recorded_at.toISOString()} as timestamptz) + b.i * cast(${widthMs} as float8) * interval '1 millisecond'
         and recorded_at < cast(${first.recorded_at.toISOString()} as timestamptz) + (b.i + 1) * cast(${widthMs} as float8) * interval '1 millisecond'
       order by recorded_at
       limit 1
    ) p
    order by p.recorded_at`.execute(db)
  const candidates = rows[rows.length - 1]?.recorded_at.getTime() === last.recorded_at.getTime() ? rows : [...rows, last]
  return simplifyTrack(candidates, maxPoints)
}

/** Positions of a range in keyset batches, for streaming exports (which write no attributes: they are not read). */
export async function positionBatch (db: Kysely<Database>, organizationId: string, vehicleId: string, from: Date, to: Date, size: number): Promise<PositionPageRow[]> {
  return await vehiclePositions(db, organizationId, vehicleId, from, to)
    .select([...POSITION_COLUMNS.filter((column) => column !== 'attributes'), sql<null>`null`.as('attributes'), 'positions.vehicle_id as id'])
    .orderBy('recorded_at').limit(size).execute()
}

export async function findTelemetry (db: Kysely<Database>, organizationId: string, vehicleIds: readonly string[]): Promise<TelemetryRow[]> {
  return await db.selectFrom('vehicle_telemetry').selectAll()
    .where('organization_id', '=', organizationId).where('vehicle_id', 'in', vehicleIds).execute()
}

export interface BoundingBox {
  south: number
  west: number
  north: number
  east: number
}

/** The latest fix of every vehicle (in the box), retired vehicles left out. */
export async function fleetTelemetry (db: Kysely<Database>, organizationId: string, box: BoundingBox | null): Promise<TelemetryRow[]> {
  let query = db.selectFrom('vehicle_telemetry').selectAll('vehicle_telemetry')
    .innerJoin('vehicles', (join) => join.onRef('vehicles.id', '=', 'vehicle_telemetry.vehicle_id').onRef('vehicles.organization_id', '=', 'vehicle_telemetry.organization_id'))
    .where('vehicle_telemetry.organization_id', '=', organizationId)
    .where('vehicles.status', '<>', 'RETIRED')
  if (box !== null) {
    query = query.where('vehicle_telemetry.latitude', '>=', box.south).where('vehicle_telemetry.latitude', '<=', box.north)
    query = box.west <= box.east
      ? query.where('vehicle_telemetry.longitude', '>=', box.west).where('vehicle_telemetry.longitude', '<=', box.east)
      : query.where((eb) => eb.or([eb('vehicle_telemetry.longitude', '>=', box.west), eb('vehicle_telemetry.longitude', '<=', box.east)]))
  }
  return await query.orderBy('vehicle_telemetry.vehicle_id').execute()
}

export interface TripFilter {
  vehicleIds?: string[]
  driverIds?: string[]
  from?: Date
  to?: Date
  inProgress?: boolean
}

export async function listTrips (db: Kysely<Database>, organizationId: string, filter: TripFilter, args: ConnectionArgs): Promise<Page<TripRow>> {
  let query = db.selectFrom('trips').where('trips.organization_id', '=', organizationId)
  if (filter.vehicleIds !== undefined) query = query.where('trips.vehicle_id', 'in', anyOf(filter.vehicleIds))
  if (filter.driverIds !== undefined) query = query.where('trips.driver_id', 'in', anyOf(filter.driverIds))
  // Overlap with [from, to): started before `to`, and still going after `from`.
  if (filter.to !== undefined) query = query.where('trips.started_at', '<', filter.to)
  if (filter.from !== undefined) { const from = filter.from; query = query.where((eb) => eb.or([eb('trips.ended_at', 'is', null), eb('trips.ended_at', '>', from)])) }
  if (filter.inProgress !== undefined) query = query.where('trips.ended_at', filter.inProgress ? 'is' : 'is not', null)
  return await paginateFiltered(query, (q) => q.selectAll('trips'), args, TRIP_SORT)
}

/** A stop: where the trip `id` ended, until the vehicle's next trip started (null: still there). */
export interface StopRow {
  id: string
  vehicle_id: string
  trip_started_at: Date
  started_at: Date
  ended_at: Date | null
  latitude: number
  longitude: number
}

const STOP_SORT: SortKey<StopRow> = { name: 'STOP_DESC', column: 'trips.started_at', type: 'timestamptz', direction: 'desc', idColumn: 'trips.id', value: (s) => s.trip_started_at }

/** A vehicle's stops whose trip ended in [from, to): each finished trip and the start of the one after it. */
export async function listStops (db: Kysely<Database>, organizationId: string, vehicleId: string, window: { from?: Date, to?: Date }, args: ConnectionArgs): Promise<Page<StopRow>> {
  let query = db.selectFrom('trips')
    .where('trips.organization_id', '=', organizationId).where('trips.vehicle_id', '=', vehicleId).where('trips.ended_at', 'is not', null)
  if (window.from !== undefined) query = query.where('trips.ended_at', '>=', window.from)
  if (window.to !== undefined) query = query.where('trips.ended_at', '<', window.to)
  return await paginateFiltered<Database, 'trips', StopRow>(query, (q) => q.select((eb) => [
    'trips.id',
    'trips.vehicle_id',
    'trips.started_at as trip_started_at',
    sql<Date>`trips.ended_at`.as('started_at'),
    eb.selectFrom('trips as next').select('next.started_at')
      .whereRef('next.organization_id', '=', 'trips.organization_id').whereRef('next.vehicle_id', '=', 'trips.vehicle_id').whereRef('next.started_at', '>', 'trips.started_at')
      .orderBy('next.started_at').limit(1).as('ended_at'),
    'trips.end_latitude as latitude',
    'trips.end_longitude as longitude'
  ]), args, STOP_SORT)
}

export async function findTripsByIds (db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<TripRow[]> {
  return await db.selectFrom('trips').selectAll().where('organization_id', '=', organizationId).where('id', 'in', ids).execute()
}

