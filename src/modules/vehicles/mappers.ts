import type { Page } from '../../graphql/pagination.js'
import type { VehicleRow } from './tables.js'

// What the resolvers of vehicles' GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

export type VehicleParent = VehicleRow
export type VehicleConnectionParent = Page<VehicleRow>
export type { VehicleChangeEvent as VehicleChangeParent } from './events.js'
