import type { LoaderScope } from '../../graphql/batching.js'
import { byIdLoader, byKeyLoader } from '../../graphql/batching.js'
import { findTelemetry, findTripsByIds } from './queries.js'

export function telematicsLoaders (scope: LoaderScope) {
  return {
    /** Vehicle.lastPosition: one statement for every vehicle of a page. */
    latestByVehicle: byKeyLoader(async (vehicleIds: readonly string[]) => await findTelemetry(scope.db(), scope.organizationId(), vehicleIds), (row) => row.vehicle_id),
    tripById: byIdLoader(async (ids) => await findTripsByIds(scope.db(), scope.organizationId(), ids))
  }
}
