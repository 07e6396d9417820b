import { byIdLoader, type LoaderScope } from '../../graphql/batching.js'
import { findUsersByIds } from './users.js'

// Users are not cached across requests: a deactivation or role change must apply at once.
export function userLoaders (scope: LoaderScope) {
  return {
    byId: byIdLoader(async (ids) => await findUsersByIds(scope.db(), scope.organizationId(), ids))
  }
}
