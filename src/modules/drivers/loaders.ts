import type { EntityCodec } from '../../cache/entity-cache.js'
import type { DriverRow } from '../../database/schema.js'
import { cachedByIdLoader, type LoaderScope } from '../../graphql/batching.js'
import { findDriversByIds } from './queries.js'

export const DRIVER: EntityCodec<DriverRow> = { entity: 'drivers', dates: ['license_expires_at', 'created_at', 'updated_at'] }

export function driverLoaders (scope: LoaderScope) {
  return {
    byId: cachedByIdLoader(scope, DRIVER, findDriversByIds)
  }
}
