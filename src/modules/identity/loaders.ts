import type { Kysely } from 'kysely'
import type { Database } from '../../database/schema.js'
import { byIdLoader } from '../../graphql/batching.js'
import { findUsersByIds } from './users.js'

export function userLoaders (db: Kysely<Database>, organizationId: () => string) {
  return {
    byId: byIdLoader((ids) => findUsersByIds(db, organizationId(), ids))
  }
}
