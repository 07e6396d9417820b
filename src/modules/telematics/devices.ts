import { createHash, randomBytes } from 'node:crypto'
import { type Kysely, sql, type Transaction } from 'kysely'
import type { EntityCache, EntityCodec } from '../../cache/entity-cache.js'
import type { Database } from '../../database/schema.js'

// Tracker secrets: one per vehicle, 256 random bits, kept only as a SHA-256 (a leaked table
// gives no working token). Issuing a new one replaces the old at once.
//
// Every tracker request starts with "whose token is this": read through the shared entity cache
// (one Redis GET when warm, no statement), keyed by the hash. Issuing and revoking tombstone the
// replaced hash's entry after the commit, like every other cached row, so an old token stops
// working on every replica at once. Whether the vehicle is still in service is checked by the
// pipeline itself, under its lock (a retired vehicle's fixes are rejected row by row).

const PREFIX = 'fdt_'

export function hashDeviceToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** A token as cached: its hash (the key), and the vehicle it speaks for. */
interface DeviceTokenRow {
  id: string
  organization_id: string
  vehicle_id: string
}

const DEVICE_TOKEN: EntityCodec<DeviceTokenRow> = { entity: 'device_tokens', dates: [] }

/** Entries are spread over 256 cache scopes (Redis Cluster slots), not one hot slot. */
function scopeOf (hash: string): string {
  return `device-${hash.slice(0, 2)}`
}

export interface IssuedDeviceToken {
  token: string
  issuedAt: Date
  /** The hash of the token this one replaced, if any (to be forgotten once committed). */
  replaced: string | null
}

export async function issueDeviceToken (trx: Transaction<Database>, organizationId: string, vehicleId: string, issuedBy: string): Promise<IssuedDeviceToken> {
  const token = PREFIX + randomBytes(32).toString('base64url')
  const previous = await trx.selectFrom('device_tokens').select('token_hash')
    .where('organization_id', '=', organizationId).where('vehicle_id', '=', vehicleId)
    .forUpdate()
    .executeTakeFirst()
  const row = await trx.insertInto('device_tokens')
    .values({ organization_id: organizationId, vehicle_id: vehicleId, token_hash: hashDeviceToken(token), issued_by: issuedBy })
    .onConflict((oc) => oc.column('vehicle_id').doUpdateSet({ token_hash: (eb) => eb.ref('excluded.token_hash'), issued_by: issuedBy, issued_at: sql`now()` }))
    .returning('issued_at')
    .executeTakeFirstOrThrow()
  return { token, issuedAt: row.issued_at, replaced: previous?.token_hash ?? null }
}

/** Deletes the vehicle's token; returns its hash (to be forgotten once committed), null if it had none. */
export async function revokeDeviceToken (trx: Transaction<Database>, organizationId: string, vehicleId: string): Promise<string | null> {
  const row = await trx.deleteFrom('device_tokens').where('organization_id', '=', organizationId).where('vehicle_id', '=', vehicleId)
    .returning('token_hash')
    .executeTakeFirst()
  return row?.token_hash ?? null
}

/** After the commit: the replaced or revoked token is read from PostgreSQL (and refused) on every replica. */
export async function forgetDeviceToken (cache: EntityCache, hash: string | null): Promise<void> {
  if (hash !== null) await cache.invalidate(DEVICE_TOKEN.entity, scopeOf(hash), [hash])
}

export interface Device {
  organizationId: string
  vehicleId: string
}

/** The vehicle a tracker secret belongs to, or null for an unknown (or replaced) secret. */
export async function deviceOf (db: Kysely<Database>, cache: EntityCache, token: string): Promise<Device | null> {
  if (!token.startsWith(PREFIX) || token.length > 100) return null
  const hash = hashDeviceToken(token)
  const [row] = await cache.load(DEVICE_TOKEN, scopeOf(hash), [hash], async (hashes) => await db.selectFrom('device_tokens')
    .select(['token_hash as id', 'organization_id', 'vehicle_id'])
    .where('token_hash', 'in', hashes)
    .execute())
  return row === undefined ? null : { organizationId: row.organization_id, vehicleId: row.vehicle_id }
}
