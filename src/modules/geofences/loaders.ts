import type { LoaderScope } from '../../graphql/batching.js'
import { byIdLoader } from '../../graphql/batching.js'
import { findGeofencesByIds } from './queries.js'

export function geofenceLoaders (scope: LoaderScope) {
  return {
    /** Live geofences (queries by id). */
    byId: byIdLoader(async (ids) => await findGeofencesByIds(scope.db(), scope.organizationId(), ids)),
    /** Including removed ones: what events and alerts refer to. */
    anyById: byIdLoader(async (ids) => await findGeofencesByIds(scope.db(), scope.organizationId(), ids, true))
  }
}
