import { FLEET_MANAGERS, FLEET_READERS, HISTORY_READERS, SIGNED_IN } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { telematicsLoaders } from './loaders.js'
import { telematicsResolvers } from './resolvers.js'

// Positions from trackers, their history, trips and stops, live updates.

export const telematicsModule = defineModule({
  name: 'telematics',
  resolvers: telematicsResolvers,
  loaders: { telematics: telematicsLoaders },
  access: {
    Query: {
      fleetPositions: FLEET_READERS,
      trips: HISTORY_READERS,
      trip: HISTORY_READERS
    },
    Mutation: {
      recordPositions: FLEET_MANAGERS,
      issueDeviceToken: FLEET_MANAGERS,
      revokeDeviceToken: FLEET_MANAGERS
    },
    Subscription: {
      vehiclePositionUpdated: SIGNED_IN
    },
    Vehicle: {
      // Where a vehicle has been is where its drivers have been, other drivers included: a history
      // that names people. Its latest position (lastPosition) is open to whoever sees the vehicle.
      positions: HISTORY_READERS,
      trips: HISTORY_READERS,
      stops: HISTORY_READERS
    }
  },
  driverOwnRows: ['Subscription.vehiclePositionUpdated'],
  features: {
    'position-ingest': {
      description: 'Receiving positions: recordPositions and the device endpoints (/ingest/*), which answer 503 + Retry-After so trackers keep their backlog',
      fields: ['Mutation.recordPositions']
    }
  }
})
