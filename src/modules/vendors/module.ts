import { FLEET_MANAGERS, FLEET_READERS } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { vendorLoaders } from './loaders.js'
import { vendorResolvers } from './resolvers.js'
import { vendorConstraints } from './validation.js'

// Vendors: workshops, fuel stations and parts suppliers the fleet buys from.

export const vendorsModule = defineModule({
  name: 'vendors',
  resolvers: vendorResolvers,
  loaders: { vendors: vendorLoaders },
  access: {
    Query: {
      vendors: FLEET_READERS,
      vendor: FLEET_READERS
    },
    Mutation: {
      createVendor: FLEET_MANAGERS,
      updateVendor: FLEET_MANAGERS
    }
  },
  constraints: vendorConstraints
})
