import { FLEET_READERS } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { fleetLoaders } from './loaders.js'
import { fleetResolvers } from './resolvers.js'

// Aggregates over the whole fleet, for the dashboard.

export const fleetModule = defineModule({
  name: 'fleet',
  resolvers: fleetResolvers,
  loaders: { fleet: fleetLoaders },
  access: {
    Query: {
      fleetSummary: FLEET_READERS
    }
  },
  features: {
    'fleet-summary': {
      description: 'The dashboard aggregates (fleetSummary)',
      fields: ['Query.fleetSummary']
    }
  }
})
