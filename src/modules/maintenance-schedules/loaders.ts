import DataLoader from 'dataloader'
import { byIdLoader, groupLoader, type LoaderScope, perArguments } from '../../graphql/batching.js'
import { type ConnectionArgs, type Page, pageWindow, type SortKey, toPage } from '../../graphql/pagination.js'
import { type DueRow, dueCounts, dueOfVehicles } from './due.js'
import { countServiceRecords, findSchedulesByIds, findServiceRecordsByIds, findServiceTasksByIds, RECORD_SORT, serviceHistoryPages } from './queries.js'
import type { ServiceRecordRow } from './tables.js'

export function scheduleLoaders (scope: LoaderScope) {
  const historyCount = new DataLoader<string, number>(async (vehicleIds) => {
    const counts = new Map((await countServiceRecords(scope.db(), scope.organizationId(), vehicleIds)).map((r) => [r.vehicle_id, r.count]))
    return vehicleIds.map((id) => counts.get(id) ?? 0)
  })
  const historyPages = perArguments((args: ConnectionArgs) => {
    const window = pageWindow(args, RECORD_SORT as SortKey<never>)
    const loader = groupLoader((vehicleIds: readonly string[]) => serviceHistoryPages(scope.db(), scope.organizationId(), vehicleIds, window), (row) => row.vehicle_id)
    return async (vehicleId: string): Promise<Page<ServiceRecordRow>> =>
      toPage(await loader.load(vehicleId), window, RECORD_SORT, async () => await historyCount.load(vehicleId))
  })
  let counts: Promise<{ overdue: number, dueSoon: number }> | undefined
  return {
    tasks: byIdLoader(async (ids) => await findServiceTasksByIds(scope.db(), scope.organizationId(), ids)),
    schedules: byIdLoader(async (ids) => await findSchedulesByIds(scope.db(), scope.organizationId(), ids)),
    records: byIdLoader(async (ids) => await findServiceRecordsByIds(scope.db(), scope.organizationId(), ids)),
    /** Every schedule covering each vehicle, most urgent first: one statement per batch of vehicles. */
    dueOfVehicle: groupLoader(async (vehicleIds: readonly string[]): Promise<DueRow[]> => await dueOfVehicles(scope.db(), scope.organizationId(), vehicleIds), (row) => row.vehicle_id),
    /** Vehicle.serviceHistory: one statement per distinct argument set, whatever the number of vehicles. */
    historyOfVehicle: (vehicleId: string, args: ConnectionArgs) => historyPages(args)(vehicleId),
    /** fleetSummary's overdue and due-soon counts share one statement. */
    dueCounts: async () => await (counts ??= dueCounts(scope.db(), scope.organizationId()))
  }
}
