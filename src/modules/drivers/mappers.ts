import type { Page } from '../../graphql/pagination.js'
import type { DriverRow } from './tables.js'

// What the resolvers of drivers' GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

export type DriverParent = DriverRow
export type DriverConnectionParent = Page<DriverRow>
