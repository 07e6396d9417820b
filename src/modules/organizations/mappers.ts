import type { OrganizationRow } from './tables.js'

// What the resolvers of organizations' GraphQL types receive as their parent (codegen.ts reads
// this file: `<Type>Parent` backs the GraphQL type <Type>).

export type OrganizationParent = OrganizationRow
