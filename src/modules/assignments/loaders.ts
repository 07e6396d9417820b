import DataLoader from 'dataloader'
import type { Kysely } from 'kysely'
import type { Database, VehicleAssignmentRow } from '../../database/schema.js'
import { byIdLoader, byKeyLoader, groupLoader, perArguments } from '../../graphql/batching.js'
import { type ConnectionArgs, type Page, pageWindow, type SortKey, toPage } from '../../graphql/pagination.js'
import {
  ASSIGNMENT_SORT, type AssignmentSide, countAssignmentsByParent, findAssignmentPages, findAssignmentsByIds, findCurrentAssignments
} from './queries.js'

export function assignmentLoaders (db: Kysely<Database>, organizationId: () => string) {
  const counts = {
    vehicle_id: countLoader(db, organizationId, 'vehicle_id'),
    driver_id: countLoader(db, organizationId, 'driver_id')
  }
  const pages = perArguments(({ side, args }: { side: AssignmentSide, args: ConnectionArgs }) => {
    const window = pageWindow(args, ASSIGNMENT_SORT as SortKey<never>)
    const loader = groupLoader(
      (parentIds: readonly string[]) => findAssignmentPages(db, organizationId(), side, parentIds, window),
      (row) => row.parent_id
    )
    return async (parentId: string): Promise<Page<VehicleAssignmentRow>> =>
      toPage<VehicleAssignmentRow>(await loader.load(parentId), window, ASSIGNMENT_SORT, async () => await counts[side].load(parentId))
  })
  return {
    byId: byIdLoader((ids) => findAssignmentsByIds(db, organizationId(), ids)),
    currentByVehicle: byKeyLoader((ids: readonly string[]) => findCurrentAssignments(db, organizationId(), 'vehicle_id', ids), (row) => row.vehicle_id),
    currentByDriver: byKeyLoader((ids: readonly string[]) => findCurrentAssignments(db, organizationId(), 'driver_id', ids), (row) => row.driver_id),
    /** Vehicle.assignments / Driver.assignments: one statement per distinct argument set. */
    pageOf: (side: AssignmentSide, parentId: string, args: ConnectionArgs) => pages({ side, args })(parentId)
  }
}

function countLoader (db: Kysely<Database>, organizationId: () => string, side: AssignmentSide) {
  return new DataLoader<string, number>(async (parentIds) => {
    const counts = new Map((await countAssignmentsByParent(db, organizationId(), side, parentIds)).map((r) => [r.parent_id, Number(r.count)]))
    return parentIds.map((id) => counts.get(id) ?? 0)
  })
}
