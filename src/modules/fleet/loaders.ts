import type { Kysely } from 'kysely'
import type { Database, VehicleStatus } from '../../database/schema.js'
import { countVehiclesByStatus } from '../vehicles/queries.js'

export function fleetLoaders (db: Kysely<Database>, organizationId: () => string) {
  let statusCounts: Promise<Array<{ status: VehicleStatus, count: number }>> | undefined
  return {
    vehicleStatusCounts: async () => {
      statusCounts ??= countVehiclesByStatus(db, organizationId()).then((rows) => rows.map((r) => ({ status: r.status, count: Number(r.count) })))
      return await statusCounts
    }
  }
}
