import type { LoaderScope } from '../../graphql/batching.js'
import { byIdLoader } from '../../graphql/batching.js'
import { findAlertsByIds } from './queries.js'

export function alertLoaders (scope: LoaderScope) {
  return {
    byId: byIdLoader(async (ids) => await findAlertsByIds(scope.db(), scope.organizationId(), ids))
  }
}
