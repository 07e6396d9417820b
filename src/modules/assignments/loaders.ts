import DataLoader from 'dataloader'
import type { EntityCodec } from '../../cache/entity-cache.js'
import type { VehicleAssignmentRow } from './tables.js'
import { byKeyLoader, cachedByIdLoader, groupLoader, type LoaderScope, perArguments } from '../../graphql/batching.js'
import { type ConnectionArgs, type Page, pageWindow, type SortKey, toPage } from '../../graphql/pagination.js'
import {
  ASSIGNMENT_SORT, type AssignmentSide, countAssignmentsByParent, findAssignmentPages, findAssignmentsByIds, findCurrentAssignments
} from './queries.js'

export const ASSIGNMENT: EntityCodec<VehicleAssignmentRow> = { entity: 'vehicle_assignments', dates: ['starts_at', 'ends_at', 'created_at', 'updated_at'] }

// "Current" depends on the clock: current assignments are always read from PostgreSQL; only
// rows by id go through the shared cache.
export function assignmentLoaders (scope: LoaderScope) {
  const counts = {
    vehicle_id: countLoader(scope, 'vehicle_id'),
    driver_id: countLoader(scope, 'driver_id')
  }
  const pages = perArguments(({ side, args }: { side: AssignmentSide, args: ConnectionArgs }) => {
    const window = pageWindow(args, ASSIGNMENT_SORT as SortKey<never>)
    const loader = groupLoader(
      (parentIds: readonly string[]) => findAssignmentPages(scope.db(), scope.organizationId(), side, parentIds, window),
      (row) => row.parent_id
    )
    return async (parentId: string): Promise<Page<VehicleAssignmentRow>> =>
      toPage<VehicleAssignmentRow>(await loader.load(parentId), window, ASSIGNMENT_SORT, async () => await counts[side].load(parentId))
  })
  return {
    byId: cachedByIdLoader(scope, ASSIGNMENT, findAssignmentsByIds),
    currentByVehicle: byKeyLoader((ids: readonly string[]) => findCurrentAssignments(scope.db(), scope.organizationId(), 'vehicle_id', ids), (row) => row.vehicle_id),
    currentByDriver: byKeyLoader((ids: readonly string[]) => findCurrentAssignments(scope.db(), scope.organizationId(), 'driver_id', ids), (row) => row.driver_id),
    /** Vehicle.assignments / Driver.assignments: one statement per distinct argument set. */
    pageOf: (side: AssignmentSide, parentId: string, args: ConnectionArgs) => pages({ side, args })(parentId)
  }
}

function countLoader (scope: LoaderScope, side: AssignmentSide) {
  return new DataLoader<string, number>(async (parentIds) => {
    const counts = new Map((await countAssignmentsByParent(scope.db(), scope.organizationId(), side, parentIds)).map((r) => [r.parent_id, Number(r.count)]))
    return parentIds.map((id) => counts.get(id) ?? 0)
  })
}
