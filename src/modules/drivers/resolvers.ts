import { updateVersioned } from '../../database/optimistic.js'
import type { Resolvers } from '../../generated/graphql.js'
import { viewerOf } from '../../graphql/context.js'
import { conflict } from '../../errors.js'
import { connectionResolvers } from '../../graphql/pagination.js'
import { distinct, id, text } from '../../graphql/validation.js'
import { write } from '../../graphql/writes.js'
import { findCurrentAssignments } from '../assignments/queries.js'
import { ownRows } from '../identity/scope.js'
import { DRIVER } from './loaders.js'
import { driverSort, insertDriver, listDrivers, lockDriver } from './queries.js'
import { driverPatch, newDriver } from './validation.js'

export const driverResolvers: Resolvers = {
  Query: {
    driver: async (_, args, ctx) => {
      const driverId = id(args.id, 'id')
      const own = ownRows(ctx)
      if (own !== null && own.driverId !== driverId) return null
      return await ctx.loaders.drivers.byId.load(driverId)
    },
    drivers: async (_, { filter, orderBy, ...page }, ctx) => await listDrivers(
      ctx.db,
      viewerOf(ctx).organizationId,
      {
        only: ownRows(ctx)?.driverId,
        status: distinct(filter?.status),
        search: filter?.search === undefined || filter.search === null || filter.search.trim() === '' ? undefined : text(filter.search, 'filter.search', 100),
        licenseExpiresBefore: filter?.licenseExpiresBefore ?? undefined,
        assigned: filter?.assigned ?? undefined
      },
      driverSort(orderBy?.field ?? 'NAME', orderBy?.direction === 'DESC' ? 'desc' : 'asc'),
      page
    )
  },
  Mutation: {
    createDriver: async (_, { input }, ctx) => {
      const row = newDriver(input, viewerOf(ctx).organizationId)
      const driver = await write(ctx, async (trx) => await insertDriver(trx, row))
      ctx.loaders.drivers.byId.prime(driver.id, driver)
      return driver
    },
    updateDriver: async (_, args, ctx) => {
      const driverId = id(args.id, 'id')
      const { organizationId } = viewerOf(ctx)
      const patch = driverPatch(args.input)
      const driver = await write(ctx, async (trx) => {
        // A driver who is off duty cannot stay assigned: end the assignment first, explicitly.
        if (patch.status !== undefined && patch.status !== 'ACTIVE') {
          await lockDriver(trx, organizationId, driverId)
          const [current] = await findCurrentAssignments(trx, organizationId, 'driver_id', [driverId])
          if (current !== undefined) throw conflict(`The driver is assigned to a vehicle now; end that assignment before setting ${patch.status}`, 'input.status')
        }
        return await updateVersioned(trx, 'drivers', { organizationId, id: driverId }, args.input.expectedVersion, patch, 'Driver')
      })
      await ctx.cache.invalidate(DRIVER.entity, organizationId, [driver.id])
      ctx.loaders.drivers.byId.clear(driver.id).prime(driver.id, driver)
      return driver
    }
  },
  Driver: {
    licenseNumber: (d) => d.license_number,
    licenseClass: (d) => d.license_class,
    licenseExpiresAt: (d) => d.license_expires_at,
    currentAssignment: async (d, _, ctx) => await ctx.loaders.assignments.currentByDriver.load(d.id),
    currentVehicle: async (d, _, ctx) => {
      const assignment = await ctx.loaders.assignments.currentByDriver.load(d.id)
      return assignment === null ? null : await ctx.loaders.vehicles.byId.load(assignment.vehicle_id)
    },
    assignments: async (d, args, ctx) => await ctx.loaders.assignments.pageOf('driver_id', d.id, args),
    createdAt: (d) => d.created_at,
    updatedAt: (d) => d.updated_at
  },
  DriverConnection: connectionResolvers
}
