import type { Page } from '../../graphql/pagination.js'
import type { VehicleAssignmentRow } from './tables.js'

// What the resolvers of assignments' GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

export type VehicleAssignmentParent = VehicleAssignmentRow
export type VehicleAssignmentConnectionParent = Page<VehicleAssignmentRow>
