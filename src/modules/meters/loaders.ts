import DataLoader from 'dataloader'
import { groupLoader, type LoaderScope, perArguments } from '../../graphql/batching.js'
import { type ConnectionArgs, type Page, pageWindow, type SortKey, toPage } from '../../graphql/pagination.js'
import { countReadingsByVehicle, findReadingPages, READING_SORT, type ReadingListFilter } from './queries.js'
import type { MeterReadingRow } from './tables.js'

// Readings are lists (never cached: they change with every reading); a page of vehicles with
// their readings costs one statement per distinct argument set, and one more for the counts.

export function meterLoaders (scope: LoaderScope) {
  const counts = perArguments((filter: ReadingListFilter) => new DataLoader<string, number>(async (vehicleIds) => {
    const found = new Map((await countReadingsByVehicle(scope.db(), scope.organizationId(), vehicleIds, filter)).map((r) => [r.vehicle_id, Number(r.count)]))
    return vehicleIds.map((id) => found.get(id) ?? 0)
  }))
  const pages = perArguments(({ filter, args }: { filter: ReadingListFilter, args: ConnectionArgs }) => {
    const window = pageWindow(args, READING_SORT as SortKey<never>)
    const loader = groupLoader(
      (vehicleIds: readonly string[]) => findReadingPages(scope.db(), scope.organizationId(), vehicleIds, filter, window),
      (row) => row.vehicle_id
    )
    return async (vehicleId: string): Promise<Page<MeterReadingRow>> =>
      toPage(await loader.load(vehicleId), window, READING_SORT, async () => await counts(filter).load(vehicleId))
  })
  return {
    /** Vehicle.meterReadings, newest first. */
    pageOf: (vehicleId: string, filter: ReadingListFilter, args: ConnectionArgs) => pages({ filter, args })(vehicleId)
  }
}
