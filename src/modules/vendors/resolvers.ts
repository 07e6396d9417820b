import { updateVersioned } from '../../database/optimistic.js'
import type { Resolvers } from '../../generated/graphql.js'
import { viewerOf } from '../../graphql/context.js'
import { connectionResolvers } from '../../graphql/pagination.js'
import { distinct, id, optionalText } from '../../graphql/validation.js'
import { write } from '../../graphql/writes.js'
import { VENDOR } from './loaders.js'
import { insertVendor, listVendors } from './queries.js'
import { newVendor, vendorPatch } from './validation.js'

export const vendorResolvers: Resolvers = {
  Query: {
    vendor: async (_, args, ctx) => await ctx.loaders.vendors.byId.load(id(args.id, 'id')),
    vendors: async (_, { filter, ...page }, ctx) => {
      const search = optionalText(filter?.search, 'filter.search', 100)
      return await listVendors(ctx.db, viewerOf(ctx).organizationId, {
        ...(filter?.kind === null || filter?.kind === undefined ? {} : { kind: distinct(filter.kind) }),
        ...(filter?.active === null || filter?.active === undefined ? {} : { active: filter.active }),
        ...(search === null ? {} : { search })
      }, page)
    }
  },
  Mutation: {
    createVendor: async (_, { input }, ctx) => {
      const row = newVendor(input, viewerOf(ctx).organizationId)
      const vendor = await write(ctx, async (trx) => await insertVendor(trx, row))
      ctx.loaders.vendors.byId.prime(vendor.id, vendor)
      return vendor
    },
    updateVendor: async (_, args, ctx) => {
      const vendorId = id(args.id, 'id')
      const { organizationId } = viewerOf(ctx)
      const patch = vendorPatch(args.input)
      const vendor = await write(ctx, async (trx) => await updateVersioned(trx, 'vendors', { organizationId, id: vendorId }, args.input.expectedVersion, patch, 'Vendor'))
      await ctx.cache.invalidate(VENDOR.entity, organizationId, [vendor.id])
      ctx.loaders.vendors.byId.clear(vendor.id).prime(vendor.id, vendor)
      return vendor
    }
  },
  Vendor: {
    contactName: (v) => v.contact_name,
    createdAt: (v) => v.created_at,
    updatedAt: (v) => v.updated_at
  },
  VendorConnection: connectionResolvers
}
