import { FLEET_MANAGERS, PEOPLE_READERS } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { driverLoaders } from './loaders.js'
import { driverResolvers } from './resolvers.js'
import { driverConstraints } from './validation.js'

// Drivers and their licences.

export const driversModule = defineModule({
  name: 'drivers',
  resolvers: driverResolvers,
  loaders: { drivers: driverLoaders },
  access: {
    Query: {
      driver: PEOPLE_READERS,
      drivers: PEOPLE_READERS
    },
    Mutation: {
      createDriver: FLEET_MANAGERS,
      updateDriver: FLEET_MANAGERS
    }
  },
  driverOwnRows: ['Query.driver', 'Query.drivers'],
  features: {
    'driver-writes': {
      description: 'Creating and updating drivers',
      fields: ['Mutation.createDriver', 'Mutation.updateDriver']
    }
  },
  constraints: driverConstraints
})
