import { ADMINS, SIGNED_IN } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { operationsResolvers } from './resolvers.js'

// Feature flags, maintenance mode and client error reports.

export const operationsModule = defineModule({
  name: 'operations',
  resolvers: operationsResolvers,
  access: {
    Query: {
      featureFlags: ADMINS,
      maintenanceMode: SIGNED_IN
    },
    Mutation: {
      setFeatureFlag: ADMINS,
      setMaintenanceMode: ADMINS,
      reportClientError: 'public'
    }
  },
  features: {
    'client-error-reports': {
      description: 'Error reports sent by the web app (reportClientError)',
      fields: ['Mutation.reportClientError']
    }
  }
})
