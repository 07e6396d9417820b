import t from 'tap'
import { buildTestApp } from './helpers/app.js'

// Security headers everywhere; cross-origin browser access only for CORS_ORIGINS.

const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-chars', DATABASE_URL: 'postgres://unused.invalid/db' }

void t.test('security headers', async (t) => {
  const { app } = await buildTestApp(t)
  for (const url of ['/graphql?query=%7Bme%7Bid%7D%7D', '/health', '/graphiql']) {
    const response = await app.inject(url)
    for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"]) {
      t.ok(String(response.headers['content-security-policy']).includes(directive), `${url}: CSP ${directive}`)
    }
    t.equal(response.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`)
    t.equal(response.headers['x-frame-options'], 'SAMEORIGIN', `${url}: no framing`)
    t.equal(response.headers['referrer-policy'], 'no-referrer', `${url}: no referrer`)
    t.notOk(response.headers['x-powered-by'])
  }
  t.notOk((await app.inject('/health')).headers['strict-transport-security'], 'no HSTS outside production')
  const production = await buildTestApp(t, { env: PRODUCTION })
  t.match((await production.app.inject('/health/liveness')).headers['strict-transport-security'], /max-age=31536000/, 'HSTS in production')
})

void t.test('CORS: only the configured origins', async (t) => {
  const { app } = await buildTestApp(t, { env: { CORS_ORIGINS: 'https://app.fleet.example, http://localhost:5173' } })
  const preflight = async (origin: string) => await app.inject({
    method: 'OPTIONS',
    url: '/graphql',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' }
  })
  const allowed = await preflight('https://app.fleet.example')
  t.equal(allowed.statusCode, 204)
  t.equal(allowed.headers['access-control-allow-origin'], 'https://app.fleet.example')
  t.match(allowed.headers['access-control-allow-headers'], /authorization/)
  t.equal((await preflight('http://localhost:5173')).headers['access-control-allow-origin'], 'http://localhost:5173')
  const refused = await preflight('https://evil.example')
  t.notOk(refused.headers['access-control-allow-origin'], 'another origin gets no CORS grant')

  const actual = await app.inject({ method: 'POST', url: '/graphql', headers: { origin: 'https://app.fleet.example' }, payload: { query: '{ me { id } }' } })
  t.equal(actual.headers['access-control-allow-origin'], 'https://app.fleet.example')
  t.match(actual.headers['access-control-expose-headers'], /x-request-id/)

  const none = await buildTestApp(t)
  t.notOk((await none.app.inject({ method: 'POST', url: '/graphql', headers: { origin: 'https://app.fleet.example' }, payload: { query: '{ me { id } }' } })).headers['access-control-allow-origin'], 'no CORS_ORIGINS: same origin only')
  await t.rejects(buildTestApp(t, { env: { CORS_ORIGINS: 'not an origin' } }), /CORS_ORIGINS must be origins/, 'a bad origin is a configuration error')
})
