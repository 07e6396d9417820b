import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import { AppError } from '../errors.js'
import { databaseUnavailable } from '../database/failures.js'
import { type Device, deviceOf, hashDeviceToken } from '../modules/telematics/devices.js'
import type { RawFix } from '../modules/telematics/fixes.js'
import type { IngestReport } from '../modules/telematics/ingest.js'
import type { IngestSource } from '../modules/telematics/service.js'
import { osmAndFix, osmAndToken } from '../modules/telematics/osmand.js'
import { refuse } from './rest-errors.js'

// The device doors, outside GraphQL, for trackers:
// - POST /ingest/positions: a JSON array (or one object) or NDJSON of the PositionInput fields,
//   `Authorization: Bearer <device token>`; the answer reports accepted, duplicates and each
//   rejected fix (200), like recordPositions.
// - GET|POST /ingest/osmand: the OsmAnd protocol of phone tracker apps (Traccar Client): one fix
//   in query or form parameters (or Traccar Client's JSON body), the device token as `id`. 200
//   with an empty body when stored (or already stored), 400 with the reason otherwise.
// A device token names one vehicle; fixes may not name another. Requests are limited per device
// (INGEST_RATE_LIMIT_PER_MINUTE, keyed by the token's hash); a request with an unknown token costs
// one indexed lookup, like any unauthenticated request (floods are the ingress's to stop). While ingestion is switched off or in maintenance: 503 with
// Retry-After, which trackers answer by keeping their backlog and retrying.

type Source = Exclude<IngestSource, 'graphql'>

const BEARER = /^Bearer\s+(\S+)\s*$/i
const RETRY_AFTER_SECONDS = 60

function bearer (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  return header === undefined ? undefined : BEARER.exec(header)?.[1]
}

/**
 * The rate-limit key: the device, by the hash of its token (the secret itself never reaches Redis),
 * or the address for a request without one.
 */
function limitKey (token: string | undefined, request: FastifyRequest): string {
  return token === undefined ? `address:${request.ip}` : `device:${hashDeviceToken(token)}`
}

function parseNdjson (body: string): unknown[] {
  const items: unknown[] = []
  for (const line of body.split('\n')) {
    if (line.trim() === '') continue
    try {
      items.push(JSON.parse(line))
    } catch {
      items.push(undefined)
    }
  }
  return items
}

export async function ingestPlugin (app: FastifyInstance, { config }: { config: Config }): Promise<void> {
  app.addContentTypeParser(['application/x-ndjson', 'application/ndjson'], { parseAs: 'string' }, (_request, body, done) => {
    done(null, parseNdjson(body as string))
  })
  // A repeated field becomes a list, as in the query string: OsmAnd senders repeat `cell` and `wifi`.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const fields = new Map<string, string[]>()
    for (const [key, value] of new URLSearchParams(body as string)) fields.set(key, [...(fields.get(key) ?? []), value])
    done(null, Object.fromEntries([...fields].map(([key, values]) => [key, values.length === 1 ? values[0] : values])))
  })

  // What fails before or outside a handler (a body that is not JSON or too large, the rate limit,
  // a bug) answers in the doors' shape too; a bug's details stay in the log.
  app.setErrorHandler(async (err: FastifyError | AppError, request, reply) => {
    if (err instanceof AppError) return await refuse(reply, err.statusCode ?? 400, err.code, err.message)
    const status = err.statusCode ?? 500
    if (status >= 400 && status < 500) return await refuse(reply, status, 'BAD_USER_INPUT', err.message)
    request.log.error({ err }, 'unexpected error at a device door')
    return await refuse(reply, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error')
  })

  // Counted once the body is parsed (preHandler): OsmAnd clients may send their token in it.
  const rateLimit = (token: (request: FastifyRequest) => string | undefined) => ({
    max: config.INGEST_RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    hook: 'preHandler' as const,
    keyGenerator: (request: FastifyRequest) => limitKey(token(request), request),
    allowList: () => false
  })

  /** Checks the door is open and the device known; answers the refusal itself otherwise. */
  async function admit (reply: FastifyReply, token: string | undefined): Promise<Device | null> {
    if (token === undefined) {
      await refuse(reply, 401, 'UNAUTHENTICATED', 'Send the device token as Authorization: Bearer <token> (OsmAnd: the id parameter)')
      return null
    }
    const device = await deviceOf(app.db, app.entityCache, token)
    if (device === null) {
      await refuse(reply, 401, 'UNAUTHENTICATED', 'Unknown or replaced device token')
      return null
    }
    const maintenance = app.switches.maintenance(device.organizationId)
    const flag = app.switches.flag('position-ingest', device.organizationId)
    if (maintenance.enabled || !flag.enabled) {
      reply.header('retry-after', String(RETRY_AFTER_SECONDS))
      await refuse(reply, 503, maintenance.enabled ? 'MAINTENANCE' : 'FEATURE_DISABLED', maintenance.enabled ? (maintenance.message ?? 'Read-only maintenance') : 'Position ingest is switched off; keep the backlog and retry later')
      return null
    }
    return device
  }

  async function record (request: FastifyRequest, source: Source, device: Device, fixes: readonly RawFix[]): Promise<IngestReport> {
    const report = await app.telematics.record(device.organizationId, fixes, source, device.vehicleId)
    request.log.debug({ vehicleId: device.vehicleId, accepted: report.accepted, duplicates: report.duplicates, rejected: report.rejected.length }, 'positions received')
    return report
  }

  function failed (request: FastifyRequest, reply: FastifyReply, err: unknown) {
    const unavailable = databaseUnavailable(err)
    if (unavailable !== null) {
      request.log.error({ err }, 'database unavailable')
      reply.header('retry-after', '5')
      return refuse(reply, 503, 'SERVICE_UNAVAILABLE', unavailable)
    }
    throw err
  }

  app.post('/ingest/positions', { config: { rateLimit: rateLimit(bearer) } }, async (request, reply) => {
    try {
      const device = await admit(reply, bearer(request))
      if (device === null) return await reply
      const body = request.body
      const items = Array.isArray(body) ? body : typeof body === 'object' && body !== null ? [body] : null
      if (items === null) return await refuse(reply, 400, 'BAD_USER_INPUT', 'Send a JSON array of positions (application/json) or one per line (application/x-ndjson)')
      if (items.length > config.POSITION_BATCH_MAX) return await refuse(reply, 413, 'BAD_USER_INPUT', `At most ${config.POSITION_BATCH_MAX} positions per request`)
      const notObjects = items.flatMap((item, index) => typeof item === 'object' && item !== null && !Array.isArray(item) ? [] : [index])
      const fixes = items.map((item, index) => notObjects.includes(index) ? {} : item as RawFix)
      const report = await record(request, 'device', device, fixes)
      const rejected = [
        ...report.rejected.filter((r) => !notObjects.includes(r.index)),
        ...notObjects.map((index) => ({ index, code: 'INVALID_VALUE', message: 'Each position must be a JSON object' }))
      ].sort((a, b) => a.index - b.index)
      return { accepted: report.accepted, duplicates: report.duplicates, rejected }
    } catch (err) {
      return await failed(request, reply, err)
    }
  })

  const osmand = async (request: FastifyRequest, reply: FastifyReply) => {
    // A fix sent without a time is dated when it arrived, not when its batch got its turn.
    const receivedAt = new Date()
    try {
      const device = await admit(reply, osmAndToken(request.query, request.body))
      if (device === null) return await reply
      const read = osmAndFix(request.query, request.body, receivedAt)
      if ('refused' in read) {
        app.telematics.refused('osmand')
        return await refuse(reply, 400, 'BAD_USER_INPUT', read.refused.message, { reason: read.refused.code })
      }
      const report = await record(request, 'osmand', device, [read.fix])
      const rejection = report.rejected[0]
      if (rejection !== undefined) return await refuse(reply, 400, 'BAD_USER_INPUT', rejection.message, { reason: rejection.code })
      return await reply.code(200).send()
    } catch (err) {
      return await failed(request, reply, err)
    }
  }
  const osmandToken = (request: FastifyRequest): string | undefined => osmAndToken(request.query, request.body)
  app.get('/ingest/osmand', { config: { rateLimit: rateLimit(osmandToken) } }, osmand)
  app.post('/ingest/osmand', { config: { rateLimit: rateLimit(osmandToken) } }, osmand)
}
