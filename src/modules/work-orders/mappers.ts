import type { Page } from '../../graphql/pagination.js'
import type { UserRow } from '../identity/tables.js'
import type { LaborLine, PartLine } from './queries.js'
import type { WorkOrderRow, WorkOrderTaskRow } from './tables.js'

// What the resolvers of work-orders' GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

export type WorkOrderParent = WorkOrderRow
export type WorkOrderConnectionParent = Page<WorkOrderRow>
export type WorkOrderAssigneeParent = UserRow
export type WorkOrderTaskParent = WorkOrderTaskRow
/** A line with its order's currency. */
export type WorkOrderPartParent = PartLine & { currency: string }
export type WorkOrderLaborParent = LaborLine & { currency: string }
