import type { EntityCodec } from '../../cache/entity-cache.js'
import { cachedByIdLoader, type LoaderScope } from '../../graphql/batching.js'
import { findVendorsByIds } from './queries.js'
import type { VendorRow } from './tables.js'

export const VENDOR: EntityCodec<VendorRow> = { entity: 'vendors', dates: ['created_at', 'updated_at'] }

export function vendorLoaders (scope: LoaderScope) {
  return {
    byId: cachedByIdLoader(scope, VENDOR, findVendorsByIds)
  }
}
