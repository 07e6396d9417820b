import { defineModule } from '../module.js'
import { userLoaders } from './loaders.js'
import { ADMINS, SIGNED_IN } from './permissions.js'
import { identityResolvers } from './resolvers.js'
import { userConstraints } from './validation.js'

// Users, sign-in and sessions, single sign-on, roles and the permission matrix.

export const identityModule = defineModule({
  name: 'identity',
  resolvers: identityResolvers,
  loaders: { users: userLoaders },
  access: {
    Query: {
      me: 'public',
      user: ADMINS,
      users: ADMINS
    },
    Mutation: {
      login: 'public',
      refreshSession: 'public',
      logout: 'public',
      changePassword: SIGNED_IN,
      createUser: ADMINS,
      updateUser: ADMINS,
      deactivateUser: ADMINS,
      reactivateUser: ADMINS,
      resetUserPassword: ADMINS
    }
    // User: reached only as the viewer itself (me, sign-in payloads) or by admins (users, auditLog).
  },
  constraints: userConstraints
})
