import { updateVersioned } from '../../database/optimistic.js'
import type { Resolvers } from '../../generated/graphql.js'
import { viewerOf } from '../../graphql/context.js'
import { connectionResolvers } from '../../graphql/pagination.js'
import { id } from '../../graphql/validation.js'
import { write } from '../../graphql/writes.js'
import { FACILITY } from './loaders.js'
import { facilitySort, insertFacility, listFacilities } from './queries.js'
import { facilityPatch, newFacility } from './validation.js'

export const facilityResolvers: Resolvers = {
  Query: {
    facility: async (_, args, ctx) => await ctx.loaders.facilities.byId.load(id(args.id, 'id')),
    facilities: async (_, { orderBy, ...page }, ctx) => await listFacilities(
      ctx.db,
      viewerOf(ctx).organizationId,
      facilitySort(orderBy?.field ?? 'NAME', orderBy?.direction === 'DESC' ? 'desc' : 'asc'),
      page
    )
  },
  Mutation: {
    createFacility: async (_, { input }, ctx) => {
      const row = newFacility(input, viewerOf(ctx).organizationId)
      const facility = await write(ctx, async (trx) => await insertFacility(trx, row))
      ctx.loaders.facilities.byId.prime(facility.id, facility)
      return facility
    },
    updateFacility: async (_, args, ctx) => {
      const facilityId = id(args.id, 'id')
      // The current coordinates are needed only to check that an update keeps them paired.
      const current = args.input.latitude !== undefined || args.input.longitude !== undefined
        ? await ctx.loaders.facilities.byId.load(facilityId)
        : null
      const { organizationId } = viewerOf(ctx)
      const patch = facilityPatch(args.input, current)
      const facility = await write(ctx, async (trx) => await updateVersioned(trx, 'facilities', { organizationId, id: facilityId }, args.input.expectedVersion, patch, 'Facility'))
      await ctx.cache.invalidate(FACILITY.entity, organizationId, [facility.id])
      ctx.loaders.facilities.byId.clear(facility.id).prime(facility.id, facility)
      return facility
    }
  },
  Facility: {
    vehicles: async (f, args, ctx) => await ctx.loaders.vehicles.pageOfFacility(f.id, args),
    createdAt: (f) => f.created_at,
    updatedAt: (f) => f.updated_at
  },
  FacilityConnection: connectionResolvers
}
