import type { Page } from '../../graphql/pagination.js'
import type { UserRow } from './tables.js'

// What the resolvers of identity's GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

export type UserParent = UserRow
export type UserConnectionParent = Page<UserRow>
export type { UserCredentialsParent } from './users.js'
