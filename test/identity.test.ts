import { SignJWT } from 'jose'
import t from 'tap'
import { buildTestApp, codes } from './helpers/app.js'

const LOGIN = `mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken expiresAt refreshTokenExpiresAt user { email role organization { slug } } }
}`
const REFRESH = 'mutation ($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken user { email } } }'
const ME = '{ me { id email name role organization { id name slug } } }'

interface Session { accessToken: string, refreshToken: string, expiresAt: string, refreshTokenExpiresAt: string, user: { email: string, role: string, organization: { slug: string } } }

void t.test('identity', async (t) => {
  const { gql, config } = await buildTestApp(t)

  const signIn = async (email: string, password = 'fleet-demo'): Promise<Session> => {
    const response = await gql<{ login: Session }>(LOGIN, { email, password })
    t.equal(response.errors, undefined, `login as ${email}`)
    return (response.data as { login: Session }).login
  }

  await t.test('login returns tokens, expiry and the user with organization', async (t) => {
    const session = await signIn('Dispatcher@Fleet.Example')
    t.match(session.user, { email: 'dispatcher@fleet.example', role: 'DISPATCHER', organization: { slug: 'demo' } })
    const ttl = Date.parse(session.expiresAt) - Date.now()
    t.ok(ttl > (config.ACCESS_TOKEN_TTL_SECONDS - 10) * 1000 && ttl <= config.ACCESS_TOKEN_TTL_SECONDS * 1000, 'access token lives ACCESS_TOKEN_TTL_SECONDS')
    t.ok(Date.parse(session.refreshTokenExpiresAt) > Date.now() + 29 * 86_400_000, 'refresh token lives REFRESH_TOKEN_TTL_DAYS')
    const claims = JSON.parse(Buffer.from(session.accessToken.split('.')[1] as string, 'base64url').toString())
    t.match(claims, { role: 'DISPATCHER', org: String, sub: String, iss: 'fleet-api', aud: 'fleet-api' }, 'the JWT carries user, organization and role')
    const me = await gql<{ me: { email: string, organization: { slug: string } } }>(ME, {}, session.accessToken)
    t.match(me.data?.me, { email: 'dispatcher@fleet.example', role: 'DISPATCHER', organization: { slug: 'demo', name: 'Demo Fleet' } })
  })

  await t.test('wrong password, unknown email and over-long input are the same UNAUTHENTICATED', async (t) => {
    for (const [email, password] of [['admin@fleet.example', 'wrong'], ['nobody@fleet.example', 'fleet-demo'], ['admin@fleet.example', 'x'.repeat(5000)]]) {
      const response = await gql(LOGIN, { email, password })
      t.same(codes(response), ['UNAUTHENTICATED'], `${email} / ${(password as string).slice(0, 10)}`)
      t.equal(response.errors?.[0]?.message, 'Invalid email or password')
    }
  })

  await t.test('me is null without a token; protected fields say why they refuse', async (t) => {
    t.same((await gql(ME)).data, { me: null })
    const anonymous = await gql('{ vehicles { totalCount } }')
    t.same(codes(anonymous), ['UNAUTHENTICATED'])
    const garbage = await gql('{ vehicles { totalCount } }', {}, 'not-a-jwt')
    t.same(codes(garbage), ['UNAUTHENTICATED'])
    t.match(garbage.errors?.[0]?.message, /invalid/i)
  })

  await t.test('forged tokens are refused: wrong key, alg none, expired', async (t) => {
    const valid = await signIn('admin@fleet.example')
    const claims = JSON.parse(Buffer.from(valid.accessToken.split('.')[1] as string, 'base64url').toString())
    const wrongKey = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('another-secret-another-secret-another-secret'))
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${valid.accessToken.split('.')[1]}.`
    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 })
      .setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(config.JWT_SECRET))
    for (const [label, token] of [['wrong key', wrongKey], ['alg none', none], ['expired', expired]] as const) {
      const response = await gql('{ vehicles { totalCount } }', {}, token)
      t.same(codes(response), ['UNAUTHENTICATED'], label)
    }
    const expiredResponse = await gql('{ vehicles { totalCount } }', {}, expired)
    t.match(expiredResponse.errors?.[0]?.message, /expired/)
    const login = await gql(LOGIN, { email: 'admin@fleet.example', password: 'fleet-demo' }, expired)
    t.equal(login.errors, undefined, 'a stale token does not stop login')
  })

  await t.test('a token verified once is refused the moment it expires', async (t) => {
    const valid = await signIn('admin@fleet.example')
    const claims = JSON.parse(Buffer.from(valid.accessToken.split('.')[1] as string, 'base64url').toString())
    const expiresAt = Math.floor(Date.now() / 1000) + 2
    const shortLived = await new SignJWT({ ...claims, exp: expiresAt })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(config.JWT_SECRET))
    for (let i = 0; i < 3; i++) t.match((await gql(ME, {}, shortLived)).data?.me, { email: 'admin@fleet.example' }, `accepted, time ${i + 1}`)
    await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50))
    const late = await gql('{ vehicles { totalCount } }', {}, shortLived)
    t.same(codes(late), ['UNAUTHENTICATED'], 'the verified token does not outlive its exp')
    t.match(late.errors?.[0]?.message, /expired/)
    t.match((await gql(ME, {}, valid.accessToken)).data?.me, { email: 'admin@fleet.example' }, 'a token still valid goes on working')
  })

  await t.test('refreshSession rotates; reusing a rotated token revokes the whole family', async (t) => {
    const first = await signIn('fleet_manager@fleet.example')
    const second = await gql<{ refreshSession: Session }>(REFRESH, { token: first.refreshToken })
    t.equal(second.errors, undefined)
    const rotated = (second.data as { refreshSession: Session }).refreshSession
    t.not(rotated.refreshToken, first.refreshToken, 'a new refresh token')
    t.equal(rotated.user.email, 'fleet_manager@fleet.example')
    t.equal((await gql(ME, {}, rotated.accessToken)).data?.me !== null, true, 'the new access token works')

    const replay = await gql(REFRESH, { token: first.refreshToken })
    t.same(codes(replay), ['UNAUTHENTICATED'], 'the old token is refused')
    t.match(replay.errors?.[0]?.message, /already used/)
    const afterTheft = await gql(REFRESH, { token: rotated.refreshToken })
    t.same(codes(afterTheft), ['UNAUTHENTICATED'], 'and the family is revoked: the newest token is refused too')

    t.same(codes(await gql(REFRESH, { token: 'made-up' })), ['UNAUTHENTICATED'], 'unknown token')
  })

  await t.test('concurrent refreshes with one token: exactly one wins', async (t) => {
    const session = await signIn('viewer@fleet.example')
    const results = await Promise.all([0, 1, 2].map(async () => await gql(REFRESH, { token: session.refreshToken })))
    t.equal(results.filter((r) => r.errors === undefined).length, 1)
  })

  await t.test('logout ends the session', async (t) => {
    const session = await signIn('mechanic@fleet.example')
    t.same((await gql('mutation ($token: String!) { logout(refreshToken: $token) }', { token: session.refreshToken })).data, { logout: true })
    t.same((await gql('mutation ($token: String!) { logout(refreshToken: $token) }', { token: session.refreshToken })).data, { logout: false }, 'twice: nothing left to end')
    t.same(codes(await gql(REFRESH, { token: session.refreshToken })), ['UNAUTHENTICATED'])
  })

  await t.test('VIEWER and DRIVER cannot change the registry', async (t) => {
    for (const role of ['viewer', 'driver']) {
      const token = (await signIn(`${role}@fleet.example`)).accessToken
      const response = await gql('mutation { createFacility(input: { code: "X1", name: "X", type: DEPOT }) { id } }', {}, token)
      t.same(codes(response), ['FORBIDDEN'], role)
      // A driver sees its own current vehicle only (test/roles.test.ts).
      t.equal((await gql<{ vehicles: { totalCount: number } }>('{ vehicles { totalCount } }', {}, token)).data?.vehicles.totalCount, role === 'driver' ? 1 : 50, `${role} can read`)
    }
  })

  await t.test('passwords are stored as scrypt hashes', async (t) => {
    const { app } = await buildTestApp(t)
    const row = await app.db.selectFrom('users').select('password_hash').where('email', '=', 'admin@fleet.example').executeTakeFirstOrThrow()
    t.match(row.password_hash, /^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
    t.notMatch(row.password_hash, /fleet-demo/)
  })
})
