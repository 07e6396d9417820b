import { ADMINS } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { auditResolvers } from './resolvers.js'

// The audit trail: who changed what, recorded by triggers in the changing transaction.

export const auditModule = defineModule({
  name: 'audit',
  resolvers: auditResolvers,
  access: {
    Query: {
      auditLog: ADMINS
    }
  }
})
