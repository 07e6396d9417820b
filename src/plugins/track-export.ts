import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { GraphQLError } from 'graphql'
import type { Kysely } from 'kysely'
import type { Database } from '../database/schema.js'
import type { VehicleRow } from '../modules/vehicles/tables.js'
import type { Viewer } from '../graphql/context.js'
import { databaseUnavailable } from '../database/failures.js'
import { AppError, badInput, type ErrorCode, forbidden, notFound, unauthenticated } from '../errors.js'
import { DateTime } from '../graphql/scalars.js'
import { id } from '../graphql/validation.js'
import { findCurrentAssignments } from '../modules/assignments/queries.js'
import { telematicsModule } from '../modules/telematics/module.js'
import { historyRange, type PositionPageRow } from '../modules/telematics/positions.js'
import { positionBatch } from '../modules/telematics/queries.js'
import { findVehiclesByIds } from '../modules/vehicles/queries.js'
import { refuse } from './rest-errors.js'

// A vehicle's track as a file: GET /vehicles/:id/track.(geojson|gpx|csv)?from=&to=, the range
// [from, to) in ISO-8601 with an offset, at most 366 days (historyRange). Signed in like GraphQL (Bearer access
// token), for the roles that may read Vehicle.positions (permissions.ts); a DRIVER, if the matrix
// lets them, for the vehicle of their current assignment only (anything else is NOT_FOUND, as
// GraphQL's own-rows scope answers null).
// - geojson (application/geo+json): a FeatureCollection of one Point feature per fix,
//   [lon, lat] or [lon, lat, altitude], with properties recordedAt, speed (km/h), heading,
//   altitude (m), accuracy (m), ignition, odometer (km); the vehicle and the range are a foreign
//   member `properties` of the collection. Points rather than one LineString: a LineString keeps
//   its times in a parallel array, which a single pass over the fixes cannot write.
// - gpx (application/gpx+xml): GPX 1.1, one trk of one trkseg; trkpt with ele and time (GPX 1.1
//   has no speed or course outside extensions, so they are left to the other formats).
// - csv (text/csv): RFC 4180 with CRLF; every field is a number, a boolean or a timestamp, so none
//   needs quoting. Unknown values are empty.
// The fixes are read from the replica in keyset batches and written as they come: memory stays
// flat whatever the range. The first batch is read before answering, so a database that is down
// gets a 503 rather than a truncated file; a failure later can only cut the transfer short.

const BATCH_SIZE = 5000
const TRACK_READERS = telematicsModule.access.Vehicle.positions

const STATUS: Partial<Record<ErrorCode, number>> = { BAD_USER_INPUT: 400, UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404 }

interface Format {
  contentType: string
  head: (vehicle: VehicleRow, from: Date, to: Date) => string
  /** One fix; `index` counts from 0 over the whole document. */
  fix: (p: PositionPageRow, index: number) => string
  tail: string
}

/** Plain decimal notation: String() switches to exponents below 1e-6, which xsd:decimal (GPX) and many CSV readers refuse. */
function decimal (value: number): string {
  const text = String(value)
  return text.includes('e') ? value.toFixed(12).replace(/\.?0+$/, '') : text
}

const optional = (value: number | null): string => value === null ? '' : decimal(value)

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }
const xml = (text: string): string => text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c] as string)

const FORMATS = new Map<string, Format>([
  ['geojson', {
    contentType: 'application/geo+json',
    head: (v, from, to) => `{"type":"FeatureCollection","properties":${JSON.stringify({ vehicleId: v.id, number: v.number, name: v.name, from: from.toISOString(), to: to.toISOString() })},"features":[\n`,
    fix: (p, index) => (index === 0 ? '' : ',\n') + JSON.stringify({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: p.altitude_m === null ? [p.longitude, p.latitude] : [p.longitude, p.latitude, p.altitude_m] },
      properties: { recordedAt: p.recorded_at.toISOString(), speed: p.speed_kmh, heading: p.heading, altitude: p.altitude_m, accuracy: p.accuracy_m, ignition: p.ignition, odometer: p.odometer_km }
    }),
    tail: '\n]}\n'
  }],
  ['gpx', {
    contentType: 'application/gpx+xml',
    head: (v) => `<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="Fleet API" xmlns="http://www.topografix.com/GPX/1/1">\n<trk><name>${xml(`${v.number} ${v.name}`)}</name><trkseg>\n`,
    fix: (p) => `<trkpt lat="${decimal(p.latitude)}" lon="${decimal(p.longitude)}">${p.altitude_m === null ? '' : `<ele>${decimal(p.altitude_m)}</ele>`}<time>${p.recorded_at.toISOString()}</time></trkpt>\n`,
    tail: '</trkseg></trk>\n</gpx>\n'
  }],
  ['csv', {
    contentType: 'text/csv; charset=utf-8',
    head: () => 'recorded_at,latitude,longitude,speed_kmh,heading,altitude_m,accuracy_m,odometer_km,ignition\r\n',
    fix: (p) => [p.recorded_at.toISOString(), decimal(p.latitude), decimal(p.longitude), optional(p.speed_kmh), optional(p.heading), optional(p.altitude_m),
      optional(p.accuracy_m), optional(p.odometer_km), p.ignition === null ? '' : String(p.ignition)].join(',') + '\r\n',
    tail: ''
  }]
])

/** A DateTime query parameter, checked as the GraphQL scalar checks it. */
function instant (value: unknown, field: string): Date {
  if (value === undefined || value === '') throw badInput(`${field} is required`, field)
  try {
    return DateTime.parseValue(value)
  } catch (err) {
    throw err instanceof GraphQLError ? badInput(`${field}: ${err.message}`, field) : err
  }
}

/** The viewer, if they may read tracks at all; throws the error to answer with otherwise. */
function trackReader (request: FastifyRequest): Viewer {
  const viewer = request.viewer
  if (viewer === null) throw request.authError ?? unauthenticated(request.authProblem ?? undefined)
  if (viewer.mustChangePassword) throw new AppError('FORBIDDEN', 'You signed in with a temporary password: set your own with changePassword first', { reason: 'PASSWORD_CHANGE_REQUIRED' })
  if (typeof TRACK_READERS !== 'string' && !TRACK_READERS.includes(viewer.role)) throw forbidden(`Your role (${viewer.role}) may not read vehicle tracks`)
  return viewer
}

/** The vehicle, if the viewer may reach it; NOT_FOUND otherwise, as for a vehicle that does not exist. */
async function reachableVehicle (db: Kysely<Database>, viewer: Viewer, vehicleId: string): Promise<VehicleRow> {
  if (viewer.role === 'DRIVER') {
    // As ownRows (src/modules/identity/scope.ts): a driver reaches the vehicle of their current assignment only.
    const [current] = viewer.driverId === null ? [] : await findCurrentAssignments(db, viewer.organizationId, 'driver_id', [viewer.driverId])
    if (current?.vehicle_id !== vehicleId) throw notFound('Vehicle', vehicleId)
  }
  const [vehicle] = await findVehiclesByIds(db, viewer.organizationId, [vehicleId])
  if (vehicle === undefined) throw notFound('Vehicle', vehicleId)
  return vehicle
}

async function * document (format: Format, vehicle: VehicleRow, from: Date, to: Date, first: PositionPageRow[], next: (after: Date) => Promise<PositionPageRow[]>): AsyncGenerator<string> {
  yield format.head(vehicle, from, to)
  let count = 0
  let batch = first
  for (;;) {
    if (batch.length > 0) yield batch.map((p) => format.fix(p, count++)).join('')
    const last = batch[batch.length - 1]
    if (batch.length < BATCH_SIZE || last === undefined) break
    // recorded_at has millisecond precision and is unique per vehicle: the next batch starts 1 ms on.
    batch = await next(new Date(last.recorded_at.getTime() + 1))
  }
  if (format.tail !== '') yield format.tail
}

export async function trackExportPlugin (app: FastifyInstance): Promise<void> {
  app.get('/vehicles/:id/track.:format', async (request, reply) => {
    const params = request.params as { id: string, format: string }
    const query = request.query as { from?: unknown, to?: unknown }
    try {
      const viewer = trackReader(request)
      const format = FORMATS.get(params.format)
      if (format === undefined) throw new AppError('NOT_FOUND', `No track format "${params.format}": use ${[...FORMATS.keys()].join(', ')}`)
      const vehicleId = id(params.id, 'id')
      const from = instant(query.from, 'from')
      const to = instant(query.to, 'to')
      historyRange(from, to)
      const db = app.readDb
      const vehicle = await reachableVehicle(db, viewer, vehicleId)
      const batch = async (after: Date) => await positionBatch(db, vehicle.organization_id, vehicle.id, after, to, BATCH_SIZE)
      const first = await batch(from)
      // The day as the client wrote it (in its own offset), which is the day it asked for.
      const filename = `${vehicle.number}-${(query.from as string).slice(0, 10)}.${params.format}`.replace(/[^\w.-]+/g, '_')
      return await reply
        .header('content-type', format.contentType)
        .header('content-disposition', `attachment; filename="${filename}"`)
        .send(Readable.from(document(format, vehicle, from, to, first, batch), { objectMode: false }))
    } catch (err) {
      if (err instanceof AppError) {
        const { code, ...extra } = err.extensions
        return await refuse(reply, STATUS[code] ?? 400, code, err.message, extra)
      }
      const unavailable = databaseUnavailable(err) ?? (err === request.authError ? 'Your access token could not be checked; try again shortly' : null)
      if (unavailable === null) throw err
      request.log.error({ err }, 'database unavailable')
      reply.header('retry-after', '5')
      return await refuse(reply, 503, 'SERVICE_UNAVAILABLE', unavailable)
    }
  })
}
