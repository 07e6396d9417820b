import { ADMINS } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { organizationLoaders } from './loaders.js'
import { organizationResolvers } from './resolvers.js'

// Organizations (tenants) and their settings.

export const organizationsModule = defineModule({
  name: 'organizations',
  resolvers: organizationResolvers,
  loaders: { organizations: organizationLoaders },
  access: {
    Mutation: {
      updateOrganizationSettings: ADMINS
    }
  }
})
