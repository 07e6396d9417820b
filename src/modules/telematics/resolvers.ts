import mercurius from 'mercurius'
import type { Resolvers } from '../../generated/graphql.js'
import { required } from '../../graphql/batching.js'
import { type GraphQLContext, viewerOf } from '../../graphql/context.js'
import { badInput, conflict, notFound } from '../../errors.js'
import { connectionResolvers } from '../../graphql/pagination.js'
import { fromKilometers, fromKmh } from '../../graphql/units.js'
import { id, integer, listOf, number, period } from '../../graphql/validation.js'
import { write } from '../../graphql/writes.js'
import { notDriversVehicle, ownRows } from '../identity/scope.js'
import { forgetDeviceToken, issueDeviceToken, revokeDeviceToken } from './devices.js'
import { type PositionEvent, positionsTopic } from './events.js'
import { historyRange, latestPosition } from './positions.js'
import { fleetTelemetry, listStops, listTrips, pageOfPositions, simplifiedPositions } from './queries.js'

const { withFilter } = mercurius

const MAX_POINTS = 10_000

const seconds = (later: Date, earlier: Date): number => Math.round((later.getTime() - earlier.getTime()) / 1000)

export const telematicsResolvers: Resolvers = {
  Query: {
    fleetPositions: async (_, { bbox }, ctx) => {
      const box = bbox === null || bbox === undefined
        ? null
        : {
            south: number(bbox.south, 'bbox.south', -90, 90),
            north: number(bbox.north, 'bbox.north', -90, 90),
            west: number(bbox.west, 'bbox.west', -180, 180),
            east: number(bbox.east, 'bbox.east', -180, 180)
          }
      if (box !== null && box.south > box.north) throw badInput('bbox.south must not be north of bbox.north', 'bbox.south')
      const rows = await fleetTelemetry(ctx.db, viewerOf(ctx).organizationId, box)
      return rows.map((row) => ({ vehicleId: row.vehicle_id, position: latestPosition(row) }))
    },
    trips: async (_, { filter, ...page }, ctx) => await listTrips(ctx.db, viewerOf(ctx).organizationId, {
      vehicleIds: listOf(filter?.vehicleIds, 'filter.vehicleIds', 1000, id),
      driverIds: listOf(filter?.driverIds, 'filter.driverIds', 1000, id),
      inProgress: filter?.inProgress ?? undefined,
      ...period(filter?.from, filter?.to, 'filter.')
    }, page),
    trip: async (_, args, ctx) => await ctx.loaders.telematics.tripById.load(id(args.id, 'id'))
  },
  Mutation: {
    recordPositions: async (_, { input }, ctx) => {
      const max = ctx.config.POSITION_BATCH_MAX
      if (input.length > max) throw badInput(`At most ${max} positions per call`, 'input')
      const report = await ctx.app.telematics.record(viewerOf(ctx).organizationId, input, 'graphql')
      return { accepted: report.accepted, duplicates: report.duplicates, rejected: report.rejected }
    },
    issueDeviceToken: async (_, args, ctx) => {
      const vehicleId = id(args.vehicleId, 'vehicleId')
      const viewer = viewerOf(ctx)
      const vehicle = await ctx.loaders.vehicles.byId.load(vehicleId)
      if (vehicle === null) throw notFound('Vehicle', vehicleId)
      if (vehicle.status === 'RETIRED') throw conflict('The vehicle is retired', 'vehicleId')
      const issued = await write(ctx, async (trx) => await issueDeviceToken(trx, viewer.organizationId, vehicleId, viewer.userId))
      await forgetDeviceToken(ctx.cache, issued.replaced)
      return { token: issued.token, issuedAt: issued.issuedAt, vehicle }
    },
    revokeDeviceToken: async (_, args, ctx) => {
      const vehicleId = id(args.vehicleId, 'vehicleId')
      const { organizationId } = viewerOf(ctx)
      if (await ctx.loaders.vehicles.byId.load(vehicleId) === null) throw notFound('Vehicle', vehicleId)
      const revoked = await write(ctx, async (trx) => await revokeDeviceToken(trx, organizationId, vehicleId))
      await forgetDeviceToken(ctx.cache, revoked)
      return revoked !== null
    }
  },
  Vehicle: {
    speedLimit: (v, { unit }) => v.speed_limit_kmh === null ? null : fromKmh(v.speed_limit_kmh, unit),
    lastPosition: async (v, _, ctx) => {
      if (await notDriversVehicle(ctx, v.id)) return null
      const row = await ctx.loaders.telematics.latestByVehicle.load(v.id)
      return row === null ? null : latestPosition(row)
    },
    positions: async (v, { from, to, maxPoints, ...page }, ctx) => {
      historyRange(from, to)
      if (maxPoints === null || maxPoints === undefined) return await pageOfPositions(ctx.db, v.organization_id, v.id, from, to, page)
      const rows = await simplifiedPositions(ctx.db, v.organization_id, v.id, from, to, integer(maxPoints, 'maxPoints', 2, MAX_POINTS))
      return { rows, cursor: () => '', hasNextPage: false, hasPreviousPage: false, totalCount: async () => rows.length }
    },
    trips: async (v, { from, to, ...page }, ctx) => await listTrips(ctx.db, v.organization_id, { vehicleIds: [v.id], ...period(from, to) }, page),
    stops: async (v, { from, to, ...page }, ctx) => await listStops(ctx.db, v.organization_id, v.id, period(from, to), page)
  },
  Position: {
    recordedAt: (p) => p.recorded_at,
    receivedAt: (p) => p.received_at,
    speed: (p, { unit }) => p.speed_kmh === null ? null : fromKmh(p.speed_kmh, unit),
    altitude: (p) => p.altitude_m,
    accuracy: (p) => p.accuracy_m,
    odometer: (p, { unit }) => p.odometer_km === null ? null : fromKilometers(p.odometer_km, unit, 3),
    battery: (p) => p.battery_percent
  },
  PositionConnection: connectionResolvers,
  VehiclePosition: {
    vehicle: async (vp, _, ctx) => await required(ctx.loaders.vehicles.byId, vp.vehicleId, 'Vehicle of a position')
  },
  Trip: {
    vehicle: async (t, _, ctx) => await required(ctx.loaders.vehicles.byId, t.vehicle_id, `Vehicle of trip ${t.id}`),
    driver: async (t, _, ctx) => t.driver_id === null ? null : await ctx.loaders.drivers.byId.load(t.driver_id),
    startedAt: (t) => t.started_at,
    endedAt: (t) => t.ended_at,
    inProgress: (t) => t.ended_at === null,
    startLatitude: (t) => t.start_latitude,
    startLongitude: (t) => t.start_longitude,
    endLatitude: (t) => t.end_latitude,
    endLongitude: (t) => t.end_longitude,
    distance: (t, { unit }) => fromKilometers(t.distance_km, unit, 3),
    duration: (t) => seconds(t.ended_at ?? t.last_fix_at, t.started_at),
    movingTime: (t) => Math.round(t.moving_seconds),
    idleTime: (t) => Math.round(t.idle_seconds),
    maxSpeed: (t, { unit }) => fromKmh(t.max_speed_kmh, unit),
    averageSpeed: (t, { unit }) => t.moving_seconds <= 0 ? 0 : fromKmh(t.distance_km / (t.moving_seconds / 3600), unit),
    positionCount: (t) => t.position_count
  },
  TripConnection: connectionResolvers,
  Stop: {
    trip: async (s, _, ctx) => await required(ctx.loaders.telematics.tripById, s.id, 'Trip of a stop'),
    startedAt: (s) => s.started_at,
    endedAt: (s) => s.ended_at,
    duration: (s) => seconds(s.ended_at ?? new Date(), s.started_at)
  },
  StopConnection: connectionResolvers,
  Subscription: {
    vehiclePositionUpdated: {
      // A DRIVER hears only of the vehicle they drive at the time of the update.
      subscribe: withFilter(
        async (_: unknown, args: { vehicleIds?: string[] | null }, ctx: GraphQLContext) => {
          listOf(args.vehicleIds, 'vehicleIds', 1000, id)
          return await ctx.pubsub.subscribe(positionsTopic(ctx.config.CACHE_NAMESPACE, viewerOf(ctx).organizationId))
        },
        async (payload: { vehiclePositionUpdated: PositionEvent }, args: { vehicleIds?: string[] | null }, ctx: GraphQLContext) => {
          const { vehicleId } = payload.vehiclePositionUpdated
          if (args.vehicleIds !== null && args.vehicleIds !== undefined && !args.vehicleIds.some((v) => v.toLowerCase() === vehicleId)) return false
          const own = ownRows(ctx, ctx.newLoaders())
          return own === null || await own.vehicleId() === vehicleId
        }
      ),
      resolve: (payload: { vehiclePositionUpdated: PositionEvent }, _: unknown, ctx: GraphQLContext) => {
        ctx.loaders = ctx.newLoaders()
        const { vehicleId, position } = payload.vehiclePositionUpdated
        return { vehicleId, position: { ...position, recorded_at: new Date(position.recorded_at), received_at: position.received_at === null ? null : new Date(position.received_at) } }
      }
    }
  }
}
