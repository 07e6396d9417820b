import type { Page } from '../../graphql/pagination.js'
import type { AuditLogRow } from './tables.js'

// What the resolvers of audit's GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

export type AuditEntryParent = AuditLogRow
export type AuditEntryConnectionParent = Page<AuditLogRow>
export type { AuditChangeParent } from './changes.js'
