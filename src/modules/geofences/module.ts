import { FLEET_MANAGERS, FLEET_READERS, HISTORY_READERS } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { geofenceLoaders } from './loaders.js'
import { geofenceResolvers } from './resolvers.js'
import { geofenceConstraints } from './validation.js'

// Circles and polygons, and vehicles entering and leaving them.

export const geofencesModule = defineModule({
  name: 'geofences',
  resolvers: geofenceResolvers,
  loaders: { geofences: geofenceLoaders },
  access: {
    Query: {
      geofences: FLEET_READERS,
      geofence: FLEET_READERS,
      geofenceEvents: HISTORY_READERS
    },
    Mutation: {
      createGeofence: FLEET_MANAGERS,
      updateGeofence: FLEET_MANAGERS,
      deleteGeofence: FLEET_MANAGERS
    }
  },
  constraints: geofenceConstraints
})
