import DataLoader from 'dataloader'
import { byIdLoader, byKeyLoader, groupLoader, type LoaderScope, perArguments } from '../../graphql/batching.js'
import { type ConnectionArgs, type Page, pageWindow, type SortKey, toPage } from '../../graphql/pagination.js'
import {
  countOpenWorkOrders, countWorkOrdersByVehicle, findWorkOrdersByIds, laborOfOrders, partsOfOrders, tasksOfOrders, totalsOfOrders, type WorkOrderFilter, workOrderPagesByVehicle, workOrderSort
} from './queries.js'
import type { WorkOrderRow } from './tables.js'

const VEHICLE_ORDERS_SORT = workOrderSort('CREATED_AT', 'desc')

export function workOrderLoaders (scope: LoaderScope) {
  const pagesOfVehicle = perArguments(({ filter, ...args }: ConnectionArgs & { filter: WorkOrderFilter }) => {
    const window = pageWindow(args, VEHICLE_ORDERS_SORT as SortKey<never>)
    const count = new DataLoader<string, number>(async (vehicleIds) => {
      const counts = new Map((await countWorkOrdersByVehicle(scope.db(), scope.organizationId(), vehicleIds, filter)).map((r) => [r.vehicle_id, r.count]))
      return vehicleIds.map((id) => counts.get(id) ?? 0)
    })
    const loader = groupLoader((vehicleIds: readonly string[]) => workOrderPagesByVehicle(scope.db(), scope.organizationId(), vehicleIds, filter, window, VEHICLE_ORDERS_SORT), (row) => row.vehicle_id)
    return async (vehicleId: string): Promise<Page<WorkOrderRow>> => toPage(await loader.load(vehicleId), window, VEHICLE_ORDERS_SORT, async () => await count.load(vehicleId))
  })
  let open: Promise<number> | undefined
  return {
    byId: byIdLoader(async (ids) => await findWorkOrdersByIds(scope.db(), scope.organizationId(), ids)),
    tasksOf: groupLoader(async (ids: readonly string[]) => await tasksOfOrders(scope.db(), scope.organizationId(), ids), (row) => row.work_order_id),
    partsOf: groupLoader(async (ids: readonly string[]) => await partsOfOrders(scope.db(), scope.organizationId(), ids), (row) => row.work_order_id),
    laborOf: groupLoader(async (ids: readonly string[]) => await laborOfOrders(scope.db(), scope.organizationId(), ids), (row) => row.work_order_id),
    /** The three totals of an order share one statement per batch of orders. */
    totalsOf: byKeyLoader(async (ids: readonly string[]) => await totalsOfOrders(scope.db(), scope.organizationId(), ids), (row) => row.work_order_id),
    /** Vehicle.workOrders: one statement per distinct argument set, whatever the number of vehicles. */
    pageOfVehicle: (vehicleId: string, filter: WorkOrderFilter, args: ConnectionArgs) => pagesOfVehicle({ ...args, filter })(vehicleId),
    /** fleetSummary.openWorkOrders, once per request. */
    openCount: async () => await (open ??= countOpenWorkOrders(scope.db(), scope.organizationId()))
  }
}
