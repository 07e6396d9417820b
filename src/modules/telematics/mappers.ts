import type { Page } from '../../graphql/pagination.js'
import type { PositionPageRow } from './positions.js'
import type { StopRow } from './queries.js'
import type { TripRow } from './tables.js'

// What the resolvers of telematics' GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

export type { PositionRecord as PositionParent, VehiclePositionParent } from './positions.js'
export type PositionConnectionParent = Page<PositionPageRow>
export type TripParent = TripRow
export type TripConnectionParent = Page<TripRow>
export type StopParent = StopRow
export type StopConnectionParent = Page<StopRow>
