import type { Page } from '../../graphql/pagination.js'
import type { AlertRow } from './tables.js'

// What the resolvers of alerts' GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

export type AlertParent = AlertRow
export type AlertConnectionParent = Page<AlertRow>
