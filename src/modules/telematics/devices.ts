import { createHash, randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import type { Database, VehicleStatus } from '../../database/schema.js'

// Tracker secrets: one per vehicle, 256 random bits, kept only as a SHA-256 (a leaked table
// gives no working token). Issuing a new one replaces the old at once.

const PREFIX = 'fdt_'

export function hashDeviceToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export interface IssuedDeviceToken {
  token: string
  issuedAt: Date
}

export async function issueDeviceToken (trx: Kysely<Database>, organizationId: string, vehicleId: string, issuedBy: string): Promise<IssuedDeviceToken> {
  const token = PREFIX + randomBytes(32).toString('base64url')
  const row = await trx.insertInto('device_tokens')
    .values({ organization_id: organizationId, vehicle_id: vehicleId, token_hash: hashDeviceToken(token), issued_by: issuedBy })
    .onConflict((oc) => oc.column('vehicle_id').doUpdateSet({ token_hash: (eb) => eb.ref('excluded.token_hash'), issued_by: issuedBy, issued_at: sql`now()` }))
    .returning('issued_at')
    .executeTakeFirstOrThrow()
  return { token, issuedAt: row.issued_at }
}

export async function revokeDeviceToken (trx: Kysely<Database>, organizationId: string, vehicleId: string): Promise<boolean> {
  const result = await trx.deleteFrom('device_tokens').where('organization_id', '=', organizationId).where('vehicle_id', '=', vehicleId).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

export interface Device {
  organizationId: string
  vehicleId: string
  status: VehicleStatus
}

/** The vehicle a tracker secret belongs to, or null for an unknown (or replaced) secret. */
export async function deviceOf (db: Kysely<Database>, token: string): Promise<Device | null> {
  if (!token.startsWith(PREFIX) || token.length > 100) return null
  const row = await db.selectFrom('device_tokens')
    .innerJoin('vehicles', (join) => join.onRef('vehicles.id', '=', 'device_tokens.vehicle_id').onRef('vehicles.organization_id', '=', 'device_tokens.organization_id'))
    .select(['device_tokens.organization_id', 'device_tokens.vehicle_id', 'vehicles.status'])
    .where('device_tokens.token_hash', '=', hashDeviceToken(token))
    .executeTakeFirst()
  return row === undefined ? null : { organizationId: row.organization_id, vehicleId: row.vehicle_id, status: row.status }
}
