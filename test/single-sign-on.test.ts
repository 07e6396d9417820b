import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose'
import t, { type Test } from 'tap'
import { loadConfig } from '../src/config.js'
import { buildTestApp, codes, type GraphQLResponse, type TestApp } from './helpers/app.js'
import { type SubscriptionClient, subscribe } from './helpers/websocket.js'
import { problemsOf } from './helpers/config.js'

// Single sign-on against an identity provider played by this file: its key pairs, its JWKS served
// over HTTP on 127.0.0.1, tokens shaped like Microsoft Entra ID's (v2.0 issuer, client id audience,
// `preferred_username`), signed here.

const ISSUER = 'https://login.microsoftonline.com/0b0e2d4c-5a1f-4c3e-9d8b-7f6a5e4d3c2b/v2.0'
const AUDIENCE = '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b'
const ME = '{ me { id email role organization { slug } } }'
const VEHICLES = '{ vehicles(first: 1) { totalCount } }'
const NO_USER = /no Fleet API user for this identity; ask an administrator to invite you/i

type JwksMode = 'ok' | 'hang' | 'error'

interface JwksServer {
  url: string
  /** How many times the keys were fetched. */
  fetches: () => number
  setMode: (mode: JwksMode) => void
}

/** Serves `{ keys }` on 127.0.0.1 until the test ends; `hang` accepts requests and never answers. */
async function serveJwks (t: Test, keys: JWK[]): Promise<JwksServer> {
  let mode: JwksMode = 'ok'
  let fetches = 0
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    fetches++
    if (mode === 'hang') return
    if (mode === 'error') {
      response.writeHead(500).end('identity provider down')
      return
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }))
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/discovery/v2.0/keys`, fetches: () => fetches, setMode: (next) => { mode = next } }
}

/** A URL nothing listens on (a port that was free a moment ago). */
async function closedUrl (): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}/keys`
}

interface KeyPair { privateKey: CryptoKey, publicKey: CryptoKey }

async function publicJwk (pair: KeyPair, kid: string, alg: string): Promise<JWK> {
  return { ...await exportJWK(pair.publicKey), kid, alg, use: 'sig' }
}

interface SignOptions {
  key?: CryptoKey | Uint8Array
  alg?: string
  kid?: string
  issuer?: string
  audience?: string
  /** Seconds from now; negative: already expired. */
  expiresIn?: number | null
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const now = (): number => Math.floor(Date.now() / 1000)

function refusedAs (t: Test, response: GraphQLResponse, code: string, label: string, message?: RegExp): void {
  t.same(codes(response), [code], label)
  t.not(response.status, 500, `${label}: not a 500`)
  if (message !== undefined) t.match(response.errors?.[0]?.message, message, `${label}: says why`)
}

void t.test('single sign-on with an OpenID Connect identity provider', { timeout: 90_000 }, async (t) => {
  const rsa = await generateKeyPair('RS256')
  const ec = await generateKeyPair('ES256')
  const stranger = await generateKeyPair('RS256')
  const rsaJwk = await publicJwk(rsa, 'rsa-1', 'RS256')
  const jwks = await serveJwks(t, [rsaJwk, await publicJwk(ec, 'ec-1', 'ES256')])
  const test: TestApp = await buildTestApp(t, { env: { OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: AUDIENCE, OIDC_JWKS_URL: jwks.url } })
  const { app, gql, login, statementsOf } = test

  /** A token of the identity provider: Entra ID-like claims, RS256 with the published key unless told otherwise. */
  const idp = async (claims: JWTPayload, options: SignOptions = {}): Promise<string> => {
    const alg = options.alg ?? 'RS256'
    const jwt = new SignJWT({ tid: '0b0e2d4c-5a1f-4c3e-9d8b-7f6a5e4d3c2b', ver: '2.0', ...claims })
      .setProtectedHeader({ alg, typ: 'JWT', ...(options.kid === undefined && alg !== 'RS256' && alg !== 'ES256' ? {} : { kid: options.kid ?? (alg === 'ES256' ? 'ec-1' : 'rsa-1') }) })
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt(now() - 60)
    if (options.expiresIn !== null) jwt.setExpirationTime(now() + (options.expiresIn ?? 3600))
    return await jwt.sign(options.key ?? (alg === 'ES256' ? ec.privateKey : rsa.privateKey))
  }
  const me = async (token: string) => (await gql<{ me: { id: string, email: string, role: string, organization: { slug: string } } | null }>(ME, {}, token))
  const userRow = async (email: string) => await app.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow()
  const admin = await login('admin@fleet.example')

  await t.test('mapped by email the first time, then by subject; role and organization are ours', async (t) => {
    const first = await me(await idp({ sub: 'entra-dispatcher', email: 'Dispatcher@Fleet.Example', name: 'Dispatcher', roles: ['ADMIN'] }))
    t.equal(first.errors, undefined)
    t.match(first.data?.me, { email: 'dispatcher@fleet.example', role: 'DISPATCHER', organization: { slug: 'demo' } }, 'the demo dispatcher, whatever roles the token claims')
    const row = await userRow('dispatcher@fleet.example')
    t.match(row, { oidc_issuer: ISSUER, oidc_subject: 'entra-dispatcher' }, 'the subject is recorded on the user')
    const audit = await app.db.selectFrom('audit_log').selectAll().where('entity_id', '=', row.id).where('operation', '=', 'singleSignOn').execute()
    t.match(audit, [{ action: 'UPDATE', actor_id: row.id, actor_role: 'DISPATCHER', changes: { oidc_subject: { before: null, after: 'entra-dispatcher' } } }], 'the link is in the audit trail')

    const moved = await idp({ sub: 'entra-dispatcher', email: 'dispatch.desk@fleet.example', preferred_username: 'dispatch.desk@fleet.example', roles: ['ADMIN'] })
    t.equal((await me(moved)).data?.me?.email, 'dispatcher@fleet.example', 'a new address at the provider: still the same user, by subject')
    t.equal((await me(await idp({ sub: 'entra-dispatcher' }))).data?.me?.email, 'dispatcher@fleet.example', 'and with no address at all')
    t.equal((await gql<any>(VEHICLES, {}, moved)).data?.vehicles.totalCount, 50, 'reads the demo fleet')
    t.same(codes(await gql('{ users { totalCount } }', {}, moved)), ['FORBIDDEN'], 'the token\'s `roles` claim grants nothing: ADMIN fields are refused')
  })

  await t.test('Entra ID sends preferred_username or upn instead of email', async (t) => {
    t.match((await me(await idp({ sub: 'entra-viewer', preferred_username: 'VIEWER@fleet.example' }))).data?.me, { email: 'viewer@fleet.example', role: 'VIEWER' }, 'preferred_username')
    t.match((await me(await idp({ sub: 'entra-mechanic', upn: 'mechanic@fleet.example' }))).data?.me, { email: 'mechanic@fleet.example', role: 'MECHANIC' }, 'upn')
    refusedAs(t, await gql(VEHICLES, {}, await idp({ sub: 'entra-nomail', preferred_username: 'fleet_manager' })), 'UNAUTHENTICATED', 'a preferred_username that is not an address', NO_USER)
    t.match((await me(await idp({ sub: 'entra-other', email: 'viewer@other.example' }))).data?.me, { email: 'viewer@other.example', organization: { slug: 'other' } }, 'the organization is the user\'s')
  })

  await t.test('a role change here applies to the next single sign-on request', async (t) => {
    const token = await idp({ sub: 'entra-viewer', preferred_username: 'viewer@fleet.example' })
    const { id, version } = await userRow('viewer@fleet.example')
    const changed = await gql('mutation ($id: ID!, $v: Int!) { updateUser(id: $id, input: { expectedVersion: $v, role: DISPATCHER }) { role } }', { id, v: version }, admin)
    t.equal(changed.errors, undefined)
    t.equal((await me(token)).data?.me?.role, 'DISPATCHER')
  })

  await t.test('refused, always UNAUTHENTICATED', async (t) => {
    const claims = { sub: 'entra-admin', email: 'admin@fleet.example' }
    const pem = new TextEncoder().encode(await exportSPKI(rsa.publicKey))
    const jwkSecret = new TextEncoder().encode(JSON.stringify(rsaJwk))
    const header = { alg: 'none', typ: 'JWT' }
    const payload = { ...claims, iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 3600 }
    const cases: Array<[string, string, RegExp?]> = [
      ['wrong audience', await idp(claims, { audience: 'api://someone-else' }), /aud/],
      ['wrong issuer (another tenant)', await idp(claims, { issuer: 'https://login.microsoftonline.com/another-tenant/v2.0' })],
      ['issuer with a trailing slash', await idp(claims, { issuer: `${ISSUER}/` })],
      ['expired beyond the clock tolerance', await idp(claims, { expiresIn: -120 }), /expired/],
      ['no expiry', await idp(claims, { expiresIn: null }), /exp/],
      ['signed by another key under the published kid', await idp(claims, { key: stranger.privateKey }), /signature/],
      ['signed by another key under an unknown kid', await idp(claims, { key: stranger.privateKey, kid: 'rsa-2' })],
      ['alg none', `${base64url(header)}.${base64url(payload)}.`],
      ['alg none with a kid', `${base64url({ ...header, kid: 'rsa-1' })}.${base64url(payload)}.`],
      ['HS256 keyed with the published PEM', await idp(claims, { alg: 'HS256', key: pem, kid: 'rsa-1' }), /alg/],
      ['HS256 keyed with the published JWK', await idp(claims, { alg: 'HS256', key: jwkSecret, kid: 'rsa-1' })],
      ['no subject', await idp({ email: 'admin@fleet.example' }), /sub/],
      ['no address and an unknown subject', await idp({ sub: 'entra-unknown' }), NO_USER],
      ['an address nobody here has', await idp({ sub: 'entra-nobody', email: 'nobody@fleet.example' }), NO_USER],
      ['email_verified false', await idp({ sub: 'entra-fm', email: 'fleet_manager@fleet.example', email_verified: false }), NO_USER],
      ['an address already linked to another subject', await idp({ sub: 'entra-impostor', email: 'dispatcher@fleet.example' }), /linked to another identity/]
    ]
    for (const [label, token, message] of cases) {
      refusedAs(t, await gql(VEHICLES, {}, token), 'UNAUTHENTICATED', label, message)
      t.equal((await me(token)).data?.me, null, `${label}: me is null`)
    }
    t.equal((await userRow('fleet_manager@fleet.example')).oidc_subject, null, 'email_verified false linked nobody')
    t.equal((await userRow('dispatcher@fleet.example')).oidc_subject, 'entra-dispatcher', 'the impostor did not take the link over')

    t.match((await me(await idp({ sub: 'entra-fm', email: 'fleet_manager@fleet.example', email_verified: true }))).data?.me, { role: 'FLEET_MANAGER' }, 'the same address, verified, is matched')
    t.equal((await me(await idp({ sub: 'entra-dispatcher' }, { expiresIn: -10 }))).data?.me?.email, 'dispatcher@fleet.example', 'expired 10 s ago: within the 30 s clock tolerance')
    t.equal((await me(await idp({ sub: 'entra-dispatcher' }, { alg: 'ES256' }))).data?.me?.email, 'dispatcher@fleet.example', 'ES256 with the published EC key')
  })

  await t.test('a deactivated user is refused at once, though their subject is linked and remembered', async (t) => {
    const token = await idp({ sub: 'entra-driver', email: 'driver@fleet.example' })
    t.match((await me(token)).data?.me, { email: 'driver@fleet.example', role: 'DRIVER' })
    const { id } = await userRow('driver@fleet.example')
    t.equal((await gql('mutation ($id: ID!) { deactivateUser(id: $id) { active } }', { id }, admin)).data?.deactivateUser.active, false)
    refusedAs(t, await gql(VEHICLES, {}, token), 'UNAUTHENTICATED', 'the linked subject')
    refusedAs(t, await gql(VEHICLES, {}, await idp({ sub: 'entra-driver-2', email: 'driver@fleet.example' })), 'UNAUTHENTICATED', 'a new subject with their address', NO_USER)
    t.equal((await gql('mutation ($id: ID!) { reactivateUser(id: $id) { active } }', { id }, admin)).data?.reactivateUser.active, true)
    t.equal((await gql<any>(VEHICLES, {}, token)).data?.vehicles.totalCount, 1, 'reactivated: the provider\'s token works again (its sessions are not ours to end), as a DRIVER sees it')
  })

  await t.test('our own tokens work alongside, with their session checks intact', async (t) => {
    const own = await login('dispatcher@fleet.example')
    t.equal((await me(own)).data?.me?.email, 'dispatcher@fleet.example', 'password sign-in works')
    const { id } = await userRow('dispatcher@fleet.example')
    const reset = await gql('mutation ($id: ID!) { resetUserPassword(id: $id) { temporaryPassword } }', { id }, admin)
    t.equal(reset.errors, undefined)
    refusedAs(t, await gql(VEHICLES, {}, own), 'UNAUTHENTICATED', 'our token from before the reset (its session epoch ended)')
    const sso = await idp({ sub: 'entra-dispatcher' })
    t.equal((await gql<any>(VEHICLES, {}, sso)).data?.vehicles.totalCount, 50, 'the provider\'s token still works, and the temporary password does not hold it back')
    const temporary = (reset.data as any).resetUserPassword.temporaryPassword as string
    const fresh = await login('dispatcher@fleet.example', temporary)
    t.match((await gql(VEHICLES, {}, fresh)).errors?.[0]?.extensions, { code: 'FORBIDDEN', reason: 'PASSWORD_CHANGE_REQUIRED' }, 'a password sign-in with the temporary password is still held to changing it')
  })

  await t.test('warm, a single sign-on request costs what one with our own token costs', async (t) => {
    const sso = await idp({ sub: 'entra-manager-other', email: 'fleet_manager@other.example' })
    const own = await login('fleet_manager@other.example')
    const cold = await gql<any>(VEHICLES, {}, sso)
    t.equal(cold.errors, undefined)
    const total = cold.data?.vehicles.totalCount as number
    t.ok(total > 0 && total < 50, 'the other organization\'s fleet')
    await gql(VEHICLES, {}, own)
    const fetches = jwks.fetches()
    const warmSso = statementsOf(await gql(VEHICLES, {}, sso))
    const warmOwn = statementsOf(await gql(VEHICLES, {}, own))
    t.ok(statementsOf(cold) > warmSso, `the first request links the user (${statementsOf(cold)} statements), later ones do not (${warmSso})`)
    t.equal(warmSso, warmOwn, 'the same SQL statements as with our own token')
    for (let i = 0; i < 20; i++) t.equal((await gql<any>(VEHICLES, {}, sso)).data?.vehicles.totalCount, total, `request ${i}`)
    t.equal(jwks.fetches(), fetches, 'the keys are not fetched again')
  })

  await t.test('subscriptions accept the provider\'s tokens in connection_init', async (t) => {
    const base = await app.listen({ host: '127.0.0.1', port: 0 })
    const url = `${base.replace('http', 'ws')}/graphql`
    const query = 'subscription { vehicleChanged { kind vehicle { id name } } }'
    const client = await subscribe(t, url, `Bearer ${await idp({ sub: 'entra-mechanic', upn: 'mechanic@fleet.example' })}`, query)
    t.ok('events' in client, 'connected with a single sign-on token')
    const refused = await subscribe(t, url, `Bearer ${await idp({ sub: 'entra-unknown' })}`, query)
    t.ok('refused' in refused, 'an identity without a user is refused')

    const manager = await idp({ sub: 'entra-fm', email: 'fleet_manager@fleet.example' })
    const vehicle = (await gql<any>('{ vehicles(first: 1) { nodes { id version } } }', {}, manager)).data?.vehicles.nodes[0]
    const update = await gql('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: "Renamed through single sign-on" }) { id } }', { id: vehicle.id, v: vehicle.version }, manager)
    t.equal(update.errors, undefined, 'a mutation with a single sign-on token')
    const events = await (client as SubscriptionClient).waitFor(1)
    t.same(events[0].data.vehicleChanged, { kind: 'UPDATED', vehicle: { id: vehicle.id, name: 'Renamed through single sign-on' } })
  })
})

void t.test('an unreachable identity provider: SERVICE_UNAVAILABLE in bounded time, never a 500', { timeout: 60_000 }, async (t) => {
  const rsa = await generateKeyPair('RS256')
  const jwks = await serveJwks(t, [await publicJwk(rsa, 'rsa-1', 'RS256')])
  const sign = async (claims: JWTPayload) => await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
    .setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('1h').sign(rsa.privateKey)
  const token = await sign({ sub: 'entra-admin', email: 'admin@fleet.example' })

  const check = async (t: Test, test: TestApp, label: string, withinMs: number) => {
    const started = Date.now()
    const response = await test.gql(VEHICLES, {}, token)
    const elapsed = Date.now() - started
    refusedAs(t, response, 'SERVICE_UNAVAILABLE', label, /identity provider's signing keys could not be fetched/)
    t.equal(response.status, 503, `${label}: HTTP 503`)
    t.ok(elapsed < withinMs, `${label}: answered in ${elapsed} ms`)
  }

  await t.test('nothing listens at OIDC_JWKS_URL', async (t) => {
    const test = await buildTestApp(t, { env: { OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: AUDIENCE, OIDC_JWKS_URL: await closedUrl() } })
    await check(t, test, 'connection refused', 2000)
    await check(t, test, 'again', 2000)
    const own = await test.login('admin@fleet.example')
    t.equal((await test.gql<any>(VEHICLES, {}, own)).data?.vehicles.totalCount, 50, 'our own tokens do not need the provider')
    refusedAs(t, await test.gql(VEHICLES, {}, `${base64url({ alg: 'none' })}.${base64url({ iss: ISSUER, aud: AUDIENCE, sub: 'x', exp: now() + 60 })}.`), 'UNAUTHENTICATED', 'alg none is refused before any key is fetched')
  })

  await t.test('the JWKS answers 500', async (t) => {
    jwks.setMode('error')
    const test = await buildTestApp(t, { env: { OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: AUDIENCE, OIDC_JWKS_URL: jwks.url } })
    await check(t, test, 'HTTP 500', 2000)
    jwks.setMode('ok')
    t.equal((await test.gql<any>(VEHICLES, {}, token)).data?.vehicles.totalCount, 50, 'the provider is back: the token is accepted')
  })

  await t.test('the JWKS accepts the connection and never answers', async (t) => {
    jwks.setMode('hang')
    const test = await buildTestApp(t, { env: { OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: AUDIENCE, OIDC_JWKS_URL: jwks.url } })
    const fetches = jwks.fetches()
    await check(t, test, 'a hanging JWKS (3 s timeout)', 6000)
    t.ok(jwks.fetches() > fetches, 'the keys were asked for')
    jwks.setMode('ok')
  })
})

void t.test('configuration: all three settings or none, https in production', async (t) => {
  const all = { OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: AUDIENCE, OIDC_JWKS_URL: 'https://login.microsoftonline.com/tenant/discovery/v2.0/keys' }
  t.same(problemsOf(all), [], 'all three')
  t.match(loadConfig(all), { OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: AUDIENCE })
  t.match(problemsOf({ OIDC_ISSUER: ISSUER }), [/OIDC_AUDIENCE and OIDC_JWKS_URL must be set too/])
  t.match(problemsOf({ OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: AUDIENCE }), [/OIDC_JWKS_URL must be set too/])
  t.match(problemsOf({ ...all, OIDC_JWKS_URL: 'not a url' }), [/OIDC_JWKS_URL is not a valid URL/])
  t.match(problemsOf({ ...all, OIDC_ISSUER: 'ftp://idp.example' }), [/OIDC_ISSUER must use https: or http:/])
  t.same(problemsOf({ ...all, OIDC_JWKS_URL: 'http://127.0.0.1:8080/keys' }), [], 'http outside production')
  const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://fleet@db.internal/fleet' }
  t.same(problemsOf({ ...production, ...all }), [], 'https in production')
  t.match(problemsOf({ ...production, ...all, OIDC_ISSUER: 'http://idp.internal/v2.0', OIDC_JWKS_URL: 'http://idp.internal/keys' }),
    [/OIDC_ISSUER must use https: when NODE_ENV=production/, /OIDC_JWKS_URL must use https: when NODE_ENV=production/])
})
