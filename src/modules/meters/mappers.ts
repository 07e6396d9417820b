import type { Page } from '../../graphql/pagination.js'
import type { MeterReadingRow } from './tables.js'

// What the resolvers of meters' GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

export type MeterReadingParent = MeterReadingRow
export type MeterReadingConnectionParent = Page<MeterReadingRow>
