import type { Kysely } from 'kysely'
import type { Database } from '../../database/schema.js'
import { byIdLoader } from '../../graphql/batching.js'
import { findFacilitiesByIds } from './queries.js'

export function facilityLoaders (db: Kysely<Database>, organizationId: () => string) {
  return {
    byId: byIdLoader((ids) => findFacilitiesByIds(db, organizationId(), ids))
  }
}
