import type { Page } from '../../graphql/pagination.js'
import type { VendorRow } from './tables.js'

// What the resolvers of vendors' GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

export type VendorParent = VendorRow
export type VendorConnectionParent = Page<VendorRow>
