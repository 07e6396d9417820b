import type { EntityCodec } from '../../cache/entity-cache.js'
import type { DriverRow } from './tables.js'
import { byKeyLoader, cachedByIdLoader, type LoaderScope } from '../../graphql/batching.js'
import { findDriversByIds, findDriversByUserIds } from './queries.js'

export const DRIVER: EntityCodec<DriverRow> = { entity: 'drivers', dates: ['license_expires_at', 'created_at', 'updated_at'] }

export function driverLoaders (scope: LoaderScope) {
  return {
    byId: cachedByIdLoader(scope, DRIVER, findDriversByIds),
    /** User.driver: the driver record linked to each user. */
    byUser: byKeyLoader(async (userIds: readonly string[]) => await findDriversByUserIds(scope.db(), scope.organizationId(), userIds), (row) => row.user_id as string)
  }
}
