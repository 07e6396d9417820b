import mercurius from 'mercurius'
import { updateVersioned } from '../../database/optimistic.js'
import type { Resolvers } from '../../generated/graphql.js'
import { required } from '../../graphql/batching.js'
import { type GraphQLContext, viewerOf } from '../../graphql/context.js'
import { conflict, notFound } from '../../errors.js'
import { connectionResolvers } from '../../graphql/pagination.js'
import { fromKilometers } from '../../graphql/units.js'
import { columnsOf, primeIncluded, wanted } from '../../graphql/selection.js'
import { distinct, id, text } from '../../graphql/validation.js'
import { write } from '../../graphql/writes.js'
import { ASSIGNMENT } from '../assignments/loaders.js'
import { notDriversVehicle, ownRows } from '../identity/scope.js'
import { closeAssignmentsOfVehicle } from '../assignments/queries.js'
import { viewerOrganization } from '../organizations/loaders.js'
import { recordReadings } from '../meters/readings.js'
import { initialReadings } from './readings.js'
import { publishVehicleChange, type VehicleChangeEvent, vehicleTopic } from './events.js'
import { VEHICLE_INCLUSIONS } from './inclusions.js'
import { VEHICLE } from './loaders.js'
import { insertVehicle, listVehicles, lockVehicle, markRetired, vehicleSort } from './queries.js'
import { newVehicle, vehiclePatch } from './validation.js'

const { withFilter } = mercurius

export const vehicleResolvers: Resolvers = {
  Query: {
    vehicle: async (_, args, ctx) => {
      const vehicleId = id(args.id, 'id')
      const own = ownRows(ctx)
      if (own !== null && await own.vehicleId() !== vehicleId) return null
      return await ctx.loaders.vehicles.byId.load(vehicleId)
    },
    vehicles: async (_, { filter, orderBy, ...window }, ctx, info) => {
      const included = wanted(info, VEHICLE_INCLUSIONS)
      const page = await listVehicles(
        ctx.db,
        viewerOf(ctx).organizationId,
        {
          only: await ownRows(ctx)?.vehicleId(),
          status: distinct(filter?.status),
          type: distinct(filter?.type),
          facilityId: filter?.facilityId === undefined || filter.facilityId === null ? undefined : id(filter.facilityId, 'filter.facilityId'),
          search: filter?.search === undefined || filter.search === null || filter.search.trim() === '' ? undefined : text(filter.search, 'filter.search', 100),
          assigned: filter?.assigned ?? undefined
        },
        vehicleSort(orderBy?.field ?? 'NUMBER', orderBy?.direction === 'DESC' ? 'desc' : 'asc'),
        window,
        columnsOf(included)
      )
      primeIncluded(ctx.loaders, page.rows, included)
      return page
    }
  },
  Mutation: {
    createVehicle: async (_, { input }, ctx) => {
      const row = newVehicle(input, await viewerOrganization(ctx))
      const vehicle = await write(ctx, async (trx) => {
        const created = await insertVehicle(trx, row)
        // Its meters as registered are its first readings: schedules of a vehicle never serviced count from them.
        await recordReadings(trx, created.organization_id, initialReadings(created, viewerOf(ctx).userId))
        return created
      })
      ctx.loaders.vehicles.byId.prime(vehicle.id, vehicle)
      await publishVehicleChange(ctx, 'CREATED', vehicle)
      return vehicle
    },
    updateVehicle: async (_, args, ctx) => {
      const vehicleId = id(args.id, 'id')
      const patch = vehiclePatch(args.input, await viewerOrganization(ctx))
      const { organizationId } = viewerOf(ctx)
      const vehicle = await write(ctx, async (trx) => await updateVersioned(trx, 'vehicles', { organizationId, id: vehicleId }, args.input.expectedVersion, patch, 'Vehicle'))
      await ctx.cache.invalidate(VEHICLE.entity, organizationId, [vehicle.id])
      ctx.loaders.vehicles.byId.clear(vehicle.id).prime(vehicle.id, vehicle)
      await publishVehicleChange(ctx, 'UPDATED', vehicle)
      return vehicle
    },
    retireVehicle: async (_, args, ctx) => {
      const vehicleId = id(args.id, 'id')
      const { organizationId } = viewerOf(ctx)
      const { vehicle, endedAssignments, changed } = await write(ctx, async (trx) => {
        const current = await lockVehicle(trx, organizationId, vehicleId, 'update')
        if (current === undefined) throw notFound('Vehicle', vehicleId)
        if (current.status === 'RETIRED') return { vehicle: current, endedAssignments: [], changed: false }
        const { ended, upcoming } = await closeAssignmentsOfVehicle(trx, organizationId, vehicleId)
        if (upcoming > 0) throw conflict(`Vehicle has ${upcoming} upcoming assignment(s); cancel them before retiring it`, 'id')
        return { vehicle: await markRetired(trx, vehicleId), endedAssignments: ended, changed: true }
      })
      await ctx.cache.invalidate(VEHICLE.entity, organizationId, [vehicle.id])
      await ctx.cache.invalidate(ASSIGNMENT.entity, organizationId, endedAssignments)
      if (changed) await publishVehicleChange(ctx, 'RETIRED', vehicle)
      ctx.loaders.vehicles.byId.clear(vehicle.id).prime(vehicle.id, vehicle)
      ctx.loaders.assignments.currentByVehicle.clear(vehicle.id)
      return vehicle
    }
  },
  Vehicle: {
    licensePlate: (v) => v.license_plate,
    fuelType: (v) => v.fuel_type,
    odometer: (v, { unit }) => fromKilometers(v.odometer_km, unit),
    engineHours: (v) => Number(v.engine_hours),
    facility: async (v, _, ctx) => v.facility_id === null ? null : await ctx.loaders.facilities.byId.load(v.facility_id),
    currentAssignment: async (v, _, ctx) => await notDriversVehicle(ctx, v.id) ? null : await ctx.loaders.assignments.currentByVehicle.load(v.id),
    currentDriver: async (v, _, ctx) => {
      if (await notDriversVehicle(ctx, v.id)) return null
      const assignment = await ctx.loaders.assignments.currentByVehicle.load(v.id)
      return assignment === null ? null : await ctx.loaders.drivers.byId.load(assignment.driver_id)
    },
    assignments: async (v, args, ctx) => await ctx.loaders.assignments.pageOf('vehicle_id', v.id, args),
    retiredAt: (v) => v.retired_at,
    createdAt: (v) => v.created_at,
    updatedAt: (v) => v.updated_at
  },
  VehicleConnection: connectionResolvers,
  Subscription: {
    vehicleChanged: {
      // A DRIVER hears only of the vehicle they drive at the time of the event.
      subscribe: withFilter(
        async (_: unknown, __: unknown, ctx: GraphQLContext) => await ctx.pubsub.subscribe(vehicleTopic(ctx.config.CACHE_NAMESPACE, viewerOf(ctx).organizationId)),
        async (payload: { vehicleChanged: VehicleChangeEvent }, _: unknown, ctx: GraphQLContext) => {
          const own = ownRows(ctx, ctx.newLoaders())
          return own === null || await own.vehicleId() === payload.vehicleChanged.vehicleId
        }
      ),
      resolve: (payload: { vehicleChanged: VehicleChangeEvent }, _: unknown, ctx: GraphQLContext) => {
        ctx.loaders = ctx.newLoaders()
        return payload.vehicleChanged
      }
    }
  },
  VehicleChange: {
    vehicle: async (change, _, ctx) => await required(ctx.loaders.vehicles.byId, change.vehicleId, 'Vehicle of a change event')
  }
}
