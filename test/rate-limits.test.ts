import t from 'tap'
import { buildTestApp, codes } from './helpers/app.js'
import { demoDatabase, usingPostgres } from './helpers/database.js'
import { privateRedis } from './helpers/redis.js'

// Request rate limits (per user, per address, across replicas through Redis) and sign-in
// throttling (per account and address, per address, per account; windows, never forever).

const LOGIN = 'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }'

void t.test('per user and per address, 429 with Retry-After, probes exempt', async (t) => {
  const { app, login } = await buildTestApp(t, { env: { RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '4' } })
  const viewer = await login('viewer@fleet.example') // one anonymous request
  const other = await login('viewer@other.example') // two
  const ask = async (token?: string, ip = '10.0.0.1') => await app.inject({
    method: 'POST', url: '/graphql', remoteAddress: ip, headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, payload: { query: '{ me { id } }' }
  })
  for (let i = 0; i < 5; i++) {
    const answer = await ask(viewer)
    t.equal(answer.statusCode, 200, `user request ${i + 1}`)
    t.match(answer.headers, { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': String(4 - i) }, 'the budget is on every response')
    t.ok(Number(answer.headers['x-ratelimit-reset']) > 0 && Number(answer.headers['x-ratelimit-reset']) <= 60)
  }
  const limited = await ask(viewer)
  t.equal(limited.statusCode, 429)
  t.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60, 'Retry-After in seconds')
  t.equal(limited.json().errors[0].extensions.code, 'RATE_LIMITED')
  t.equal((await ask(other)).statusCode, 200, 'another user has a budget of their own')
  const forged = await ask(`${viewer.slice(0, -4)}AAAA`, '10.7.7.7')
  t.equal(forged.statusCode, 200, 'a bad token is counted against the address, not the user it names')
  t.equal(forged.headers['x-ratelimit-limit'], '4')

  for (let i = 0; i < 4; i++) t.equal((await ask(undefined, '10.9.9.9')).statusCode, 200)
  t.equal((await ask(undefined, '10.9.9.9')).statusCode, 429, 'anonymous: per address')
  t.equal((await ask(undefined, '10.9.9.10')).statusCode, 200, 'another address is not affected')
  for (let i = 0; i < 10; i++) t.equal((await app.inject({ url: '/health/liveness', remoteAddress: '10.9.9.9' })).statusCode, 200)
  t.pass('probes are never limited')
})

void t.test('limits hold across replicas (Redis counters)', { skip: usingPostgres ? false : 'two replicas need one shared PostgreSQL database' }, async (t) => {
  const redis = await privateRedis(t)
  const database = await demoDatabase(t)
  const env = { REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: '6' }
  const a = await buildTestApp(t, { database, env })
  const b = await buildTestApp(t, { database, env })
  const token = await a.login('dispatcher@fleet.example')
  const statuses: number[] = []
  for (let i = 0; i < 8; i++) {
    const replica = i % 2 === 0 ? a : b
    statuses.push((await replica.app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${token}` }, payload: { query: '{ me { id } }' } })).statusCode)
  }
  t.same(statuses, [200, 200, 200, 200, 200, 200, 429, 429], 'six in total, whichever replica answers')
})

void t.test('sign-in throttling: per account and address, per address, no permanent lockout', async (t) => {
  const { gql } = await buildTestApp(t, {
    env: { LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '6', LOGIN_MAX_FAILURES_PER_ACCOUNT: '100', LOGIN_THROTTLE_WINDOW_SECONDS: '6' }
  })
  const attempt = async (email: string, password: string) => await gql(LOGIN, { email, password })
  for (let i = 0; i < 3; i++) t.same(codes(await attempt('dispatcher@fleet.example', 'guess')), ['UNAUTHENTICATED'], `guess ${i + 1}`)
  const throttled = await attempt('dispatcher@fleet.example', 'fleet-demo')
  t.same(codes(throttled), ['RATE_LIMITED'], 'after 3 failures even the right password waits (no oracle)')
  t.equal(throttled.status, 429)
  t.ok((throttled.errors?.[0]?.extensions.retryAfterSeconds as number) <= 6)
  t.same(codes(await attempt('admin@fleet.example', 'fleet-demo')), [], 'another account from the same address still signs in')

  for (let i = 0; i < 3; i++) await attempt(`nobody${i}@fleet.example`, 'guess')
  const stuffed = await attempt('mechanic@fleet.example', 'fleet-demo')
  t.same(codes(stuffed), ['RATE_LIMITED'], 'stuffing: 6 failures from one address stop it for every account')

  // Waiting as long as the answer says (windows are 6 s so that a slow machine's nine sign-ins fit in one).
  await new Promise((resolve) => setTimeout(resolve, (stuffed.errors?.[0]?.extensions.retryAfterSeconds as number) * 1000 + 300))
  t.same(codes(await attempt('dispatcher@fleet.example', 'fleet-demo')), [], 'the window ends: the real user signs in')
})

void t.test('sign-in throttling holds for concurrent attempts: a batch of guesses checks no more passwords than the limit', async (t) => {
  const { app } = await buildTestApp(t, {
    env: { LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '50', LOGIN_MAX_FAILURES_PER_ACCOUNT: '100', MAX_BATCHED_OPERATIONS: '10' }
  })
  const guesses = Array.from({ length: 10 }, () => ({ query: LOGIN, variables: { email: 'dispatcher@fleet.example', password: 'guess' } }))
  const batch = await app.inject({ method: 'POST', url: '/graphql', payload: guesses })
  const outcome = (batch.json() as Array<{ errors?: Array<{ extensions: { code: string } }> }>).map((r) => r.errors?.[0]?.extensions.code)
  t.equal(outcome.filter((code) => code === 'UNAUTHENTICATED').length, 3, 'three passwords checked')
  t.equal(outcome.filter((code) => code === 'RATE_LIMITED').length, 7, 'the other seven refused unchecked')
  const right = await app.inject({ method: 'POST', url: '/graphql', payload: { query: LOGIN, variables: { email: 'dispatcher@fleet.example', password: 'fleet-demo' } } })
  t.equal(right.json().errors?.[0]?.extensions?.code, 'RATE_LIMITED', 'and the window holds')
})
