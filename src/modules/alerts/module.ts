import { ALERT_HANDLERS, FLEET_READERS } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { alertLoaders } from './loaders.js'
import { alertResolvers } from './resolvers.js'

// Alerts raised by the other modules, and their handling.

export const alertsModule = defineModule({
  name: 'alerts',
  resolvers: alertResolvers,
  loaders: { alerts: alertLoaders },
  access: {
    Query: {
      alerts: FLEET_READERS,
      alert: FLEET_READERS
    },
    Mutation: {
      acknowledgeAlert: ALERT_HANDLERS,
      resolveAlert: ALERT_HANDLERS
    },
    Subscription: {
      alertRaised: FLEET_READERS
    }
  }
})
