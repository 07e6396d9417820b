import type { VehicleStatus } from '../vehicles/tables.js'
import type { LoaderScope } from '../../graphql/batching.js'
import { countVehiclesByStatus } from '../vehicles/queries.js'

export function fleetLoaders (scope: LoaderScope) {
  let statusCounts: Promise<Array<{ status: VehicleStatus, count: number }>> | undefined
  return {
    vehicleStatusCounts: async () => {
      statusCounts ??= countVehiclesByStatus(scope.db(), scope.organizationId()).then((rows) => rows.map((r) => ({ status: r.status, count: Number(r.count) })))
      return await statusCounts
    }
  }
}
