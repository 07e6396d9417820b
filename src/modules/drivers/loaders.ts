import type { Kysely } from 'kysely'
import type { Database } from '../../database/schema.js'
import { byIdLoader } from '../../graphql/batching.js'
import { findDriversByIds } from './queries.js'

export function driverLoaders (db: Kysely<Database>, organizationId: () => string) {
  return {
    byId: byIdLoader((ids) => findDriversByIds(db, organizationId(), ids))
  }
}
