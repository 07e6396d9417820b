import { createHmac, timingSafeEqual } from 'node:crypto'
import Fastify from 'fastify'
import pg from 'pg'

// The yardstick of `npm run bench`: the dashboard's answer from one Fastify route and one
// hand-written SQL statement, with the same token check (an HS256 signature, its claims, and the
// user's current state, which the statement itself checks). Started as its own process so its CPU
// is measured like the service's:
//
//   DATABASE_URL=... JWT_SECRET=... PORT=3911 node --import tsx bench/lib/raw-dashboard.ts
//
// It answers POST /graphql with exactly the JSON the service gives the dashboard query; the
// benchmark compares the two answers before it measures anything.

const secret = Buffer.from(process.env.JWT_SECRET ?? '')
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 20), options: '-c jit=off' })
// Timestamps as PostgreSQL prints them: the route formats the one it returns itself.
pg.types.setTypeParser(1184, (value) => value)

const DASHBOARD = `
  select v.number, v.vin, v.status, v.odometer_km, f.name as facility, d.name as driver,
         to_char(a.starts_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as starts_at
  from vehicles v
  left join facilities f on f.id = v.facility_id and f.organization_id = v.organization_id
  left join vehicle_assignments a on a.vehicle_id = v.id and a.organization_id = v.organization_id
    and a.starts_at <= now() and (a.ends_at is null or a.ends_at > now())
  left join drivers d on d.id = a.driver_id and d.organization_id = v.organization_id
  where v.organization_id = $1
    and exists (select 1 from users u where u.id = $2 and u.organization_id = $1 and u.is_active and u.session_epoch = $3)
  order by v.number, v.id
  limit 50`

interface Claims { sub: string, org: string, sep: number }

function verify (header: string | undefined): Claims | null {
  const token = /^Bearer (\S+)$/.exec(header ?? '')?.[1]
  if (token === undefined) return null
  const [head, body, signature] = token.split('.')
  if (head === undefined || body === undefined || signature === undefined) return null
  const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest()
  const given = Buffer.from(signature, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Claims & { exp: number, iss: string, aud: string }
  if (claims.exp * 1000 <= Date.now() || claims.iss !== 'fleet-api' || claims.aud !== 'fleet-api') return null
  return claims
}

const app = Fastify()
app.post('/graphql', async (request, reply) => {
  const claims = verify(request.headers.authorization)
  if (claims === null) return await reply.code(401).send({ errors: [{ message: 'unauthenticated' }] })
  const { rows } = await pool.query<{ number: string, vin: string, status: string, odometer_km: string, facility: string | null, driver: string | null, starts_at: string | null }>(
    DASHBOARD, [claims.org, claims.sub, claims.sep])
  return {
    data: {
      vehicles: {
        nodes: rows.map((r) => ({
          number: r.number,
          vin: r.vin,
          status: r.status,
          odometer: Math.round(Number(r.odometer_km) * 10) / 10,
          facility: r.facility === null ? null : { name: r.facility },
          currentDriver: r.driver === null ? null : { name: r.driver },
          currentAssignment: r.starts_at === null ? null : { startsAt: r.starts_at }
        }))
      }
    }
  }
})
app.get('/health/readiness', async () => ({ status: 'ready' }))
process.once('SIGTERM', () => { void app.close().then(async () => { await pool.end() }) })
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3911) })
