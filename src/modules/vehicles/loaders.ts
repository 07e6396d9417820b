import DataLoader from 'dataloader'
import type { EntityCodec } from '../../cache/entity-cache.js'
import type { VehicleRow } from './tables.js'
import { cachedByIdLoader, groupLoader, type LoaderScope, perArguments } from '../../graphql/batching.js'
import { type ConnectionArgs, type Page, pageWindow, type SortKey, toPage } from '../../graphql/pagination.js'
import { countVehiclesByFacility, findVehiclePagesByFacility, findVehiclesByIds, vehicleSort } from './queries.js'

const FACILITY_VEHICLES_SORT = vehicleSort('NUMBER', 'asc')

export const VEHICLE: EntityCodec<VehicleRow> = { entity: 'vehicles', dates: ['retired_at', 'created_at', 'updated_at'] }

export function vehicleLoaders (scope: LoaderScope) {
  const countByFacility = new DataLoader<string, number>(async (facilityIds) => {
    const counts = new Map((await countVehiclesByFacility(scope.db(), scope.organizationId(), facilityIds)).map((r) => [r.facility_id, Number(r.count)]))
    return facilityIds.map((id) => counts.get(id) ?? 0)
  })
  const pagesByFacility = perArguments((args: ConnectionArgs) => {
    const window = pageWindow(args, FACILITY_VEHICLES_SORT as SortKey<never>)
    const loader = groupLoader(
      (facilityIds: readonly string[]) => findVehiclePagesByFacility(scope.db(), scope.organizationId(), facilityIds, window, FACILITY_VEHICLES_SORT),
      (row) => row.facility_id as string
    )
    return async (facilityId: string): Promise<Page<VehicleRow>> =>
      toPage(await loader.load(facilityId), window, FACILITY_VEHICLES_SORT, async () => await countByFacility.load(facilityId))
  })
  return {
    byId: cachedByIdLoader(scope, VEHICLE, findVehiclesByIds),
    /** Facility.vehicles: one statement per distinct argument set, whatever the number of facilities. */
    pageOfFacility: (facilityId: string, args: ConnectionArgs) => pagesByFacility(args)(facilityId)
  }
}
