import { FLEET_MANAGERS, FLEET_READERS } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { facilityLoaders } from './loaders.js'
import { facilityResolvers } from './resolvers.js'
import { facilityConstraints } from './validation.js'

// Depots, yards, shops and other places vehicles belong to.

export const facilitiesModule = defineModule({
  name: 'facilities',
  resolvers: facilityResolvers,
  loaders: { facilities: facilityLoaders },
  access: {
    Query: {
      facility: FLEET_READERS,
      facilities: FLEET_READERS
    },
    Mutation: {
      createFacility: FLEET_MANAGERS,
      updateFacility: FLEET_MANAGERS
    },
    Facility: {
      vehicles: FLEET_READERS
    }
  },
  features: {
    'facility-writes': {
      description: 'Creating and updating facilities',
      fields: ['Mutation.createFacility', 'Mutation.updateFacility']
    }
  },
  constraints: facilityConstraints
})
