import { FLEET_MANAGERS, HISTORY_READERS, PEOPLE_READERS, SIGNED_IN } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { vehicleLoaders } from './loaders.js'
import { vehicleResolvers } from './resolvers.js'
import { vehicleConstraints } from './validation.js'

// The vehicle registry.

export const vehiclesModule = defineModule({
  name: 'vehicles',
  resolvers: vehicleResolvers,
  loaders: { vehicles: vehicleLoaders },
  access: {
    Query: {
      vehicle: SIGNED_IN,
      vehicles: SIGNED_IN
    },
    Mutation: {
      createVehicle: FLEET_MANAGERS,
      updateVehicle: FLEET_MANAGERS,
      retireVehicle: FLEET_MANAGERS
    },
    Subscription: {
      vehicleChanged: SIGNED_IN
    },
    Vehicle: {
      currentAssignment: PEOPLE_READERS,
      currentDriver: PEOPLE_READERS,
      assignments: HISTORY_READERS
    }
  },
  driverOwnRows: ['Query.vehicle', 'Query.vehicles', 'Subscription.vehicleChanged'],
  features: {
    'vehicle-writes': {
      description: 'Creating, updating and retiring vehicles',
      fields: ['Mutation.createVehicle', 'Mutation.updateVehicle', 'Mutation.retireVehicle']
    }
  },
  constraints: vehicleConstraints
})
