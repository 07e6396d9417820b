import type { EntityCodec } from '../../cache/entity-cache.js'
import type { FacilityRow } from './tables.js'
import { cachedByIdLoader, type LoaderScope } from '../../graphql/batching.js'
import { findFacilitiesByIds } from './queries.js'

export const FACILITY: EntityCodec<FacilityRow> = { entity: 'facilities', dates: ['created_at', 'updated_at'] }

export function facilityLoaders (scope: LoaderScope) {
  return {
    byId: cachedByIdLoader(scope, FACILITY, findFacilitiesByIds)
  }
}
