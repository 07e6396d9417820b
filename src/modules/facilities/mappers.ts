import type { Page } from '../../graphql/pagination.js'
import type { FacilityRow } from './tables.js'

// What the resolvers of facilities' GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

export type FacilityParent = FacilityRow
export type FacilityConnectionParent = Page<FacilityRow>
