import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { buildTestApp, codes, type GraphQLResponse } from './helpers/app.js'
import { allPages, dataFetcher, ok, refused } from './helpers/graphql.js'
import { type SubscriptionClient, subscribe } from './helpers/websocket.js'

// Admin user management through the public GraphQL surface: the users/user queries (filters,
// orderings, keyset pages), createUser with a password or as an invitation, the temporary
// password a user must replace, updateUser (optimistic concurrency, role changes that apply to a
// token already issued, the organization's last admin, the link to a driver record),
// deactivateUser / reactivateUser / resetUserPassword and the sessions they end, including an open
// subscription. Each top-level test builds its own app on a fresh clone of the demo database.

const PASSWORD = 'fleet-demo'
const DEMO_EMAILS = ['admin', 'fleet_manager', 'dispatcher', 'mechanic', 'driver', 'viewer'].map((r) => `${r}@fleet.example`)
const NON_ADMIN_EMAILS = DEMO_EMAILS.filter((e) => e !== 'admin@fleet.example')
const INVALID_CREDENTIALS = 'Invalid email or password'
const SESSION_ENDED = /session has ended/
/** What a temporary password looks like: 96 random bits, base64url. */
const TEMPORARY = /^[A-Za-z0-9_-]{16}$/

const SIGNED_IN_USER = 'id email name role active deactivatedAt mustChangePassword lastLoginAt createdAt updatedAt version organization { slug }'
const USER = `${SIGNED_IN_USER} driver { id }`
const USERS = `query ($first: Int, $after: String, $last: Int, $before: String, $filter: UserFilter, $orderBy: UserOrder) {
  users(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { ${USER} }
  }
}`
const USER_BY_ID = `query ($id: ID!) { user(id: $id) { ${USER} } }`
const CREATE = `mutation ($input: CreateUserInput!) { createUser(input: $input) { temporaryPassword user { ${USER} } } }`
const UPDATE = `mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { ${USER} } }`
const DEACTIVATE = `mutation ($id: ID!) { deactivateUser(id: $id) { ${USER} } }`
const REACTIVATE = `mutation ($id: ID!) { reactivateUser(id: $id) { ${USER} } }`
const RESET = `mutation ($id: ID!) { resetUserPassword(id: $id) { temporaryPassword user { ${USER} } } }`
const LOGIN = `mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken user { ${USER} } } }`
const REFRESH = 'mutation ($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken } }'
const CHANGE_PASSWORD = `mutation ($current: String!, $next: String!) {
  changePassword(currentPassword: $current, newPassword: $next) { accessToken refreshToken expiresAt refreshTokenExpiresAt user { ${SIGNED_IN_USER} } }
}`
const ME = '{ me { id email role mustChangePassword } }'
const VEHICLES = '{ vehicles(first: 50) { totalCount nodes { id } } }'
const DRIVERS = '{ drivers(first: 50) { totalCount nodes { id } } }'
const CREATE_VEHICLE = `mutation ($number: String!) {
  createVehicle(input: { number: $number, name: "Role check", vin: "1FTBR1C80MKA00001", make: "Ford", model: "Transit", year: 2024, type: VAN, fuelType: GASOLINE }) { id number }
}`
const SUBSCRIPTION = 'subscription { vehicleChanged { kind vehicle { id name } } }'

interface User {
  id: string
  email: string
  name: string
  role: string
  active: boolean
  deactivatedAt: string | null
  mustChangePassword: boolean
  lastLoginAt: string | null
  createdAt: string
  updatedAt: string
  version: number
  organization: { slug: string }
  driver: { id: string } | null
}
interface PageInfo { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }
interface Connection { totalCount: number, pageInfo: PageInfo, nodes: User[] }
interface Credentials { temporaryPassword: string | null, user: User }
interface Session { accessToken: string, refreshToken: string, user: User }

/** Code-point order: what the C collation of the test databases gives (and ASCII names agree on). */
const compare = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0)
const emails = (users: User[]): string[] => users.map((u) => u.email)
const sorted = (values: string[]): string[] => [...values].sort(compare)
const pause = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** An app of the test's own, its admin's token, and the calls most tests make. */
async function setup (t: Test) {
  const api = await buildTestApp(t)
  const { gql, login } = api
  const admin = await login('admin@fleet.example')
  const asAdmin = dataFetcher(gql, admin)

  /** A fresh session (the helper's `login` caches tokens, which these tests end on purpose). */
  const signIn = async (email: string, password = PASSWORD): Promise<Session> =>
    ok(await gql<{ login: Session }>(LOGIN, { email, password })).login
  const list = async (variables: Record<string, unknown>, token = admin): Promise<Connection> =>
    (await asAdmin<{ users: Connection }>(USERS, variables, token)).users
  const byEmail = async (email: string): Promise<User> => {
    const found = (await list({ first: 200, filter: { search: email } })).nodes.find((u) => u.email === email)
    if (found === undefined) throw new Error(`no user ${email}`)
    return found
  }
  const byId = async (id: string, token = admin): Promise<User | null> => (await asAdmin<{ user: User | null }>(USER_BY_ID, { id }, token)).user
  const create = async (input: Record<string, unknown>, token = admin): Promise<Credentials> =>
    (await asAdmin<{ createUser: Credentials }>(CREATE, { input }, token)).createUser
  const update = async (id: string, input: Record<string, unknown>, token = admin): Promise<User> =>
    (await asAdmin<{ updateUser: User }>(UPDATE, { id, input }, token)).updateUser

  /** Sign-in refused exactly like a wrong password. */
  const loginRefused = async (t: Test, email: string, password: string, label: string): Promise<void> => {
    const response = await gql(LOGIN, { email, password })
    refused(t, response, 'UNAUTHENTICATED', undefined, label)
    t.equal(response.errors?.[0]?.message, INVALID_CREDENTIALS, `${label}: the wrong-password message`)
  }
  /** An access token the server no longer accepts because its sessions were ended. */
  const tokenEnded = async (t: Test, token: string, label: string): Promise<void> => {
    const response = await gql(VEHICLES, {}, token)
    refused(t, response, 'UNAUTHENTICATED', undefined, label)
    t.match(response.errors?.[0]?.message, SESSION_ENDED, `${label}: says the session ended`)
    t.equal(response.data, null, `${label}: no data`)
  }
  /** A refresh token that no longer starts a session: ended, not taken for a stolen one. */
  const refreshRefused = async (t: Test, refreshToken: string, label: string): Promise<void> => {
    const response = await gql(REFRESH, { token: refreshToken })
    refused(t, response, 'UNAUTHENTICATED', undefined, label)
    t.notMatch(response.errors?.[0]?.message, /already used/, `${label}: not reported as a replayed token`)
  }
  /** A token that still reads the fleet. */
  const tokenWorks = async (t: Test, token: string, label: string): Promise<void> => {
    const response = await gql<{ vehicles: { totalCount: number } }>(VEHICLES, {}, token)
    t.equal(response.errors, undefined, `${label}: no errors`)
    t.ok((response.data?.vehicles.totalCount ?? 0) > 0, `${label}: reads vehicles`)
  }

  return { ...api, admin, asAdmin, signIn, list, byEmail, byId, create, update, loginRefused, tokenEnded, refreshRefused, tokenWorks }
}

/** Asserts a refusal with the code, the field and no data. */
function refusedWith (t: Test, response: GraphQLResponse, code: string, field: string | undefined, label: string): void {
  refused(t, response, code, field, label)
  const values = response.data === null ? [] : Object.values(response.data as object)
  t.ok(values.every((value) => value === null), `${label}: no data`)
}

/** Asserts the FORBIDDEN of a user who must first replace a temporary password. */
function passwordChangeRequired (t: Test, response: GraphQLResponse, label: string): void {
  refused(t, response, 'FORBIDDEN', undefined, label)
  t.equal(response.errors?.[0]?.extensions.reason, 'PASSWORD_CHANGE_REQUIRED', `${label}: reason`)
}

void t.test('users and user: the organization\'s users, filtered, ordered and paged (ADMIN only)', async (t) => {
  const { gql, login, admin, asAdmin, signIn, list, byEmail, byId, create } = await setup(t)

  await t.test('one user per role, and none of another organization', async (t) => {
    const all = await list({ first: 50 })
    t.equal(all.totalCount, 6)
    t.same(sorted(emails(all.nodes)), sorted(DEMO_EMAILS))
    t.same(sorted(all.nodes.map((u) => u.role)), sorted(['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'MECHANIC', 'DRIVER', 'VIEWER']))
    t.ok(all.nodes.every((u) => u.organization.slug === 'demo' && u.active && u.deactivatedAt === null && !u.mustChangePassword), 'all active demo users')
    t.same(all.nodes.map((u) => u.name), [...all.nodes.map((u) => u.name)].sort(compare), 'default order: NAME ascending')

    const viewer = all.nodes.find((u) => u.email === 'viewer@fleet.example') as User
    t.same(await byId(viewer.id), viewer, 'user(id) answers the same user')
    t.same(await byId(viewer.id.toUpperCase()), viewer, 'an upper-case id is the same id')
    t.equal(await byId(randomUUID()), null, 'an unknown id: null')
    refused(t, await gql(USER_BY_ID, { id: 'not-a-uuid' }, admin), 'BAD_USER_INPUT', 'id', 'a malformed id')

    const theirs = (await list({ first: 50 }, await login('admin@other.example'))).nodes
    t.ok(theirs.length > 0 && theirs.every((u) => u.email.endsWith('@other.example') && u.organization.slug === 'other'), 'the other admin sees only its own users')
    for (const foreign of theirs) t.equal(await byId(foreign.id), null, `${foreign.email}: another organization's user is not found`)
    t.equal((await list({ filter: { search: 'other.example' } })).totalCount, 0, 'searching for their addresses finds nothing')
  })

  // Three more users, created one after the other (distinct createdAt), one of them invited.
  const bianca = (await create({ email: 'bianca.quinn@fleet.example', name: 'Bianca Quinn', role: 'DISPATCHER', password: 'bianca-password' })).user
  const yusuf = (await create({ email: 'yusuf.abbott@fleet.example', name: 'Yusuf Abbott', role: 'VIEWER', password: 'yusuf-password' })).user
  const marta = await create({ email: 'marta.lind@fleet.example', name: 'Marta Lind', role: 'MECHANIC' })
  // Some have signed in (the admin already has), one after the other; the rest never have.
  for (const email of ['viewer@fleet.example', 'mechanic@fleet.example']) await signIn(email)
  await signIn('bianca.quinn@fleet.example', 'bianca-password')

  await t.test('filters: role, active, search', async (t) => {
    const filtered = async (filter: Record<string, unknown>): Promise<string[]> => {
      const page = await list({ first: 50, filter })
      t.equal(page.totalCount, page.nodes.length, `${JSON.stringify(filter)}: totalCount counts the filtered users`)
      return sorted(emails(page.nodes))
    }
    t.same(await filtered({ role: ['DRIVER', 'MECHANIC'] }), ['driver@fleet.example', 'marta.lind@fleet.example', 'mechanic@fleet.example'], 'role: any of')
    t.same(await filtered({ role: ['ADMIN'], active: true }), ['admin@fleet.example'], 'role and active')
    t.equal((await filtered({ active: true })).length, 9, 'active: all nine')
    t.same(await filtered({ active: false }), [], 'nobody is deactivated yet')
    t.same(await filtered({ search: 'QUINN' }), ['bianca.quinn@fleet.example'], 'search: name, case-insensitive')
    t.same(await filtered({ search: 'Abbott@Fleet' }), ['yusuf.abbott@fleet.example'], 'search: email, case-insensitive')
    t.same(await filtered({ search: '_' }), ['fleet_manager@fleet.example'], 'search: `_` is taken literally')
    t.same(await filtered({ search: '%' }), [], 'search: `%` is taken literally')
    t.equal((await filtered({ search: '   ' })).length, 9, 'a blank search is no filter')
    t.same(await filtered({ role: ['VIEWER'], search: 'fleet_manager' }), [], 'filters combine')
    t.same(await filtered({ role: ['VIEWER', 'DISPATCHER'], search: 'a' }), sorted(['viewer@fleet.example', 'dispatcher@fleet.example', 'bianca.quinn@fleet.example', 'yusuf.abbott@fleet.example']), 'roles and search combine')
  })

  const everyone = (await list({ first: 50 })).nodes
  /** The expected order of an ordering: its value, then id, both reversed for DESC. */
  const expected = (field: string, direction: 'ASC' | 'DESC'): string[] => {
    const value = (u: User): string | number => {
      if (field === 'NAME') return u.name
      if (field === 'EMAIL') return u.email
      if (field === 'CREATED_AT') return Date.parse(u.createdAt)
      return u.lastLoginAt === null ? -Infinity : Date.parse(u.lastLoginAt)
    }
    const ascending = [...everyone].sort((a, b) => compare(value(a), value(b)) || compare(a.id, b.id)).map((u) => u.id)
    return direction === 'ASC' ? ascending : ascending.reverse()
  }
  /** Pages through an ordering forward and backward; both must give exactly the expected order. */
  const pagesThrough = async (t: Test, field: string, direction: 'ASC' | 'DESC'): Promise<void> => {
    const label = `${field} ${direction}`
    const fetch = async (window: object): Promise<Connection> => await list({ ...window, orderBy: { field, direction } })
    const forward = await allPages(fetch, 2)
    const backward = await allPages(fetch, 2, true)
    t.same(forward.flatMap((p) => p.nodes.map((u) => u.id)), expected(field, direction), `${label}: forward pages, in order, each user once`)
    t.same(backward.reverse().flatMap((p) => p.nodes.map((u) => u.id)), expected(field, direction), `${label}: backward pages, the same`)
    t.equal(forward.length, 5, `${label}: 9 users in pages of 2`)
    t.ok([...forward, ...backward].every((p) => p.totalCount === 9 && p.nodes.length <= 2), `${label}: totalCount 9 on every page`)
  }

  await t.test('orderings: NAME, EMAIL, CREATED_AT both ways, through every keyset page', async (t) => {
    t.equal(everyone.length, 9)
    t.equal(new Set(everyone.filter((u) => DEMO_EMAILS.includes(u.email)).map((u) => u.createdAt)).size, 1, 'the six demo users share one createdAt: ties broken by id')
    t.ok(Date.parse(bianca.createdAt) < Date.parse(yusuf.createdAt) && Date.parse(yusuf.createdAt) < Date.parse(marta.user.createdAt), 'created one after the other')
    for (const field of ['NAME', 'EMAIL', 'CREATED_AT']) {
      for (const direction of ['ASC', 'DESC'] as const) await pagesThrough(t, field, direction)
    }
    t.same(expected('CREATED_AT', 'DESC').slice(0, 3), [marta.user.id, yusuf.id, bianca.id], 'CREATED_AT DESC: newest first')
  })

  await t.test('LAST_LOGIN_AT: users who never signed in come first ascending, last descending', async (t) => {
    const signedIn = ['admin@fleet.example', 'viewer@fleet.example', 'mechanic@fleet.example', 'bianca.quinn@fleet.example']
    for (const direction of ['ASC', 'DESC'] as const) {
      const page = await list({ first: 50, orderBy: { field: 'LAST_LOGIN_AT', direction } })
      t.same(page.nodes.map((u) => u.id), expected('LAST_LOGIN_AT', direction), `LAST_LOGIN_AT ${direction}: one page, in order`)
      const order = emails(page.nodes)
      const lastLogins = direction === 'ASC' ? order.slice(5) : order.slice(0, 4).reverse()
      t.same(lastLogins, signedIn, `LAST_LOGIN_AT ${direction}: the signed-in users in sign-in order`)
      // The cursor of a user who never signed in carries -infinity: it must come back as a cursor.
      await pagesThrough(t, 'LAST_LOGIN_AT', direction)
    }
  })

  await t.test('LAST_LOGIN_AT both ways, through every keyset page, once everyone has signed in', async (t) => {
    for (const email of ['fleet_manager@fleet.example', 'dispatcher@fleet.example', 'driver@fleet.example']) await signIn(email)
    await signIn('yusuf.abbott@fleet.example', 'yusuf-password')
    await signIn('marta.lind@fleet.example', marta.temporaryPassword as string)
    everyone.splice(0, everyone.length, ...(await list({ first: 50 })).nodes)
    t.ok(everyone.every((u) => u.lastLoginAt !== null), 'everyone has a lastLoginAt')
    for (const direction of ['ASC', 'DESC'] as const) await pagesThrough(t, 'LAST_LOGIN_AT', direction)
    t.equal(emails((await list({ first: 1, orderBy: { field: 'LAST_LOGIN_AT', direction: 'DESC' } })).nodes)[0], 'marta.lind@fleet.example', 'the latest sign-in first')
  })

  await t.test('a cursor works only for the ordering that issued it', async (t) => {
    const cursor = (await list({ first: 2, orderBy: { field: 'EMAIL' } })).pageInfo.endCursor
    refused(t, await gql(USERS, { first: 2, after: cursor, orderBy: { field: 'NAME' } }, admin), 'BAD_USER_INPUT', 'after')
    refused(t, await gql(USERS, { first: 2, after: 'garbage' }, admin), 'BAD_USER_INPUT', 'after')
  })

  await t.test('every other role is FORBIDDEN, anonymous UNAUTHENTICATED', async (t) => {
    const target = await byEmail('viewer@fleet.example')
    for (const email of NON_ADMIN_EMAILS) {
      const token = await login(email)
      refusedWith(t, await gql(USERS, { first: 5 }, token), 'FORBIDDEN', undefined, `${email}: users`)
      refusedWith(t, await gql(USER_BY_ID, { id: target.id }, token), 'FORBIDDEN', undefined, `${email}: user`)
    }
    refusedWith(t, await gql(USERS, { first: 5 }), 'UNAUTHENTICATED', undefined, 'anonymous: users')
    refusedWith(t, await gql(USER_BY_ID, { id: target.id }), 'UNAUTHENTICATED', undefined, 'anonymous: user')
    t.equal((await asAdmin<{ users: Connection }>(USERS, { first: 1 })).users.totalCount, 9, 'the admin still reads')
  })
})

void t.test('createUser with a password', async (t) => {
  const { gql, login, admin, signIn, list, create, loginRefused } = await setup(t)

  await t.test('the user is stored as given, normalised, and can sign in', async (t) => {
    const { user, temporaryPassword } = await create({ email: '  Nadia.Okafor@Fleet.EXAMPLE ', name: '  Nadia Okafor ', role: 'DISPATCHER', password: 'a long enough one' })
    t.equal(temporaryPassword, null, 'no temporary password when the admin chose one')
    t.match(user, {
      email: 'nadia.okafor@fleet.example', name: 'Nadia Okafor', role: 'DISPATCHER', active: true, deactivatedAt: null,
      mustChangePassword: false, lastLoginAt: null, organization: { slug: 'demo' }, driver: null, version: Number
    })
    const session = await signIn('NADIA.OKAFOR@fleet.example', 'a long enough one')
    t.match(session.user, { id: user.id, role: 'DISPATCHER', mustChangePassword: false })
    t.match(ok(await gql(ME, {}, session.accessToken)).me, { id: user.id, email: 'nadia.okafor@fleet.example', role: 'DISPATCHER', mustChangePassword: false })
    const listed = (await list({ first: 50, filter: { search: 'okafor' } })).nodes
    t.equal(listed.length, 1)
    t.ok(listed[0]?.lastLoginAt !== null, 'listed, with the sign-in recorded')
    t.equal((await list({ first: 1 })).totalCount, 7)
  })

  await t.test('password length bounds: 10 and 1024 characters are accepted, characters counted the same way everywhere', async (t) => {
    // 600 emoji are 600 characters but 1200 UTF-16 units: accepted when set, so accepted at sign-in.
    for (const [email, password] of [['ten@fleet.example', 'x'.repeat(10)], ['long@fleet.example', 'y'.repeat(1024)], ['emoji@fleet.example', '😀'.repeat(600)]] as const) {
      await create({ email, name: 'Bound', role: 'VIEWER', password })
      t.equal((await signIn(email, password)).user.email, email, `${[...password].length} characters: signs in`)
    }
  })

  await t.test('refused input writes nothing', async (t) => {
    const before = (await list({ first: 1 })).totalCount
    const valid = { email: 'new.one@fleet.example', name: 'New One', role: 'VIEWER', password: 'a fine password' }
    const cases: Array<[string, Record<string, unknown>, string, string]> = [
      ['an email of this organization', { email: 'ADMIN@fleet.example' }, 'CONFLICT', 'input.email'],
      ['an email of another organization (emails are global)', { email: 'viewer@other.example' }, 'CONFLICT', 'input.email'],
      ['not an email', { email: 'not-an-email' }, 'BAD_USER_INPUT', 'input.email'],
      ['an empty email', { email: '   ' }, 'BAD_USER_INPUT', 'input.email'],
      ['an empty name', { name: '   ' }, 'BAD_USER_INPUT', 'input.name'],
      ['a 9-character password', { password: 'x'.repeat(9) }, 'BAD_USER_INPUT', 'input.password'],
      ['a 1025-character password', { password: 'x'.repeat(1025) }, 'BAD_USER_INPUT', 'input.password'],
      ['a password with a leading space', { password: ' leading space pw' }, 'BAD_USER_INPUT', 'input.password'],
      ['a password with a trailing space', { password: 'trailing space pw ' }, 'BAD_USER_INPUT', 'input.password'],
      ['an unknown driver (the user row is rolled back)', { driverId: randomUUID() }, 'BAD_USER_INPUT', 'input.driverId'],
      ['a malformed driver id', { driverId: 'driver-1' }, 'BAD_USER_INPUT', 'input.driverId']
    ]
    for (const [label, change, code, field] of cases) {
      refusedWith(t, await gql(CREATE, { input: { ...valid, ...change } }, admin), code, field, label)
    }
    t.equal((await list({ first: 1 })).totalCount, before, 'no user was added')
    t.equal((await list({ filter: { search: 'new.one' } })).totalCount, 0, 'not even the valid address of the refused requests')
    await loginRefused(t, 'new.one@fleet.example', 'a fine password', 'the refused user cannot sign in')
    t.equal((await list({ first: 1 }, await login('admin@other.example'))).totalCount, 6, 'nor to the other organization')
  })
})

void t.test('invite: a temporary password that must be replaced at the first sign-in', async (t) => {
  const { gql, signIn, create, byId, loginRefused, tokenEnded, refreshRefused, tokenWorks } = await setup(t)
  const invited = await create({ email: 'invited@fleet.example', name: 'Ines Invited', role: 'FLEET_MANAGER' })
  const temporary = invited.temporaryPassword as string

  await t.test('createUser without a password returns a temporary one, once', async (t) => {
    t.match(temporary, TEMPORARY, '16 URL-safe characters')
    t.match(invited.user, { email: 'invited@fleet.example', role: 'FLEET_MANAGER', mustChangePassword: true, active: true })
    t.match(await byId(invited.user.id), { mustChangePassword: true }, 'stored as must-change')
    const another = await create({ email: 'invited2@fleet.example', name: 'Ivo Invited', role: 'VIEWER' })
    t.match(another.temporaryPassword, TEMPORARY)
    t.not(another.temporaryPassword, temporary, 'each invitation its own password')
  })

  const first = await signIn('invited@fleet.example', temporary)
  const second = await signIn('invited@fleet.example', temporary)

  await t.test('signed in with it, the user may do nothing but replace it', async (t) => {
    t.equal(first.user.mustChangePassword, true, 'the login payload says so')
    t.match(ok(await gql(ME, {}, first.accessToken)).me, { email: 'invited@fleet.example', mustChangePassword: true }, 'me answers')
    passwordChangeRequired(t, await gql(VEHICLES, {}, first.accessToken), 'vehicles')
    passwordChangeRequired(t, await gql(DRIVERS, {}, first.accessToken), 'drivers')
    passwordChangeRequired(t, await gql(CREATE_VEHICLE, { number: 'INV-1' }, first.accessToken), 'createVehicle (allowed to the role)')
  })

  await t.test('a wrong current password, the same password or a short one is refused and changes nothing', async (t) => {
    const change = async (current: string, next: string) => await gql(CHANGE_PASSWORD, { current, next }, first.accessToken)
    refusedWith(t, await change('not the password', 'my own password 1'), 'BAD_USER_INPUT', 'currentPassword', 'wrong current password')
    refusedWith(t, await change(temporary, temporary), 'BAD_USER_INPUT', 'newPassword', 'the same password again')
    refusedWith(t, await change(temporary, 'short'), 'BAD_USER_INPUT', 'newPassword', 'too short')
    refusedWith(t, await change(temporary, ' padded password '), 'BAD_USER_INPUT', 'newPassword', 'leading and trailing spaces')
    t.match(ok(await gql(ME, {}, first.accessToken)).me, { mustChangePassword: true }, 'the session goes on, still must-change')
  })

  await t.test('changePassword starts a new session and ends every other', async (t) => {
    const changed = ok(await gql<{ changePassword: Session & { expiresAt: string } }>(CHANGE_PASSWORD, { current: temporary, next: 'my own password 1' }, first.accessToken)).changePassword
    t.match(changed, { accessToken: String, refreshToken: String, expiresAt: String, user: { id: invited.user.id, mustChangePassword: false } })
    await tokenEnded(t, first.accessToken, 'the access token it was called with')
    await tokenEnded(t, second.accessToken, 'another session\'s access token')
    await refreshRefused(t, first.refreshToken, 'the old refresh token')
    await refreshRefused(t, second.refreshToken, 'another session\'s refresh token')

    await tokenWorks(t, changed.accessToken, 'the new access token')
    t.match(ok(await gql(ME, {}, changed.accessToken)).me, { mustChangePassword: false })
    t.match(ok(await gql(CREATE_VEHICLE, { number: 'INV-1' }, changed.accessToken)), { createVehicle: { number: 'INV-1' } }, 'the role applies now')
    t.match(ok(await gql(REFRESH, { token: changed.refreshToken })), { refreshSession: { accessToken: String } }, 'the new refresh token works')

    await loginRefused(t, 'invited@fleet.example', temporary, 'the temporary password')
    t.match((await signIn('invited@fleet.example', 'my own password 1')).user, { mustChangePassword: false }, 'the new password signs in')
    t.match(await byId(invited.user.id), { mustChangePassword: false })
  })

  await t.test('a user with a password of their own changes it the same way', async (t) => {
    const session = await signIn('viewer@fleet.example')
    refused(t, await gql(CHANGE_PASSWORD, { current: PASSWORD, next: PASSWORD }, session.accessToken), 'BAD_USER_INPUT', 'newPassword')
    const changed = ok(await gql<{ changePassword: Session }>(CHANGE_PASSWORD, { current: PASSWORD, next: 'viewer password 2' }, session.accessToken)).changePassword
    await tokenEnded(t, session.accessToken, 'the old token')
    await tokenWorks(t, changed.accessToken, 'the new token')
    await loginRefused(t, 'viewer@fleet.example', PASSWORD, 'the old password')
    refusedWith(t, await gql(CHANGE_PASSWORD, { current: PASSWORD, next: 'anything long' }), 'UNAUTHENTICATED', undefined, 'anonymous changePassword')
  })
})

void t.test('updateUser: rename, email, role, optimistic concurrency', async (t) => {
  const { gql, admin, signIn, byEmail, byId, update, loginRefused } = await setup(t)
  const viewer = await byEmail('viewer@fleet.example')
  const viewerToken = (await signIn('viewer@fleet.example')).accessToken

  await t.test('a rename bumps the version; a stale version is a CONFLICT', async (t) => {
    const renamed = await update(viewer.id, { expectedVersion: viewer.version, name: '  Vera Viewer ' })
    t.match(renamed, { id: viewer.id, name: 'Vera Viewer', email: viewer.email, role: 'VIEWER', version: viewer.version + 1 })
    const stale = await gql(UPDATE, { id: viewer.id, input: { expectedVersion: viewer.version, name: 'Lost update' } }, admin)
    refusedWith(t, stale, 'CONFLICT', 'input.expectedVersion', 'a stale version')
    t.match(await byId(viewer.id), { name: 'Vera Viewer', version: viewer.version + 1 }, 'the stale update changed nothing')
  })

  await t.test('a role change applies at once to the token the user already holds', async (t) => {
    refused(t, await gql(CREATE_VEHICLE, { number: 'ROLE-1' }, viewerToken), 'FORBIDDEN', undefined, 'a viewer cannot create vehicles')
    const current = await byId(viewer.id) as User
    const promoted = await update(viewer.id, { expectedVersion: current.version, role: 'FLEET_MANAGER' })
    t.equal(promoted.role, 'FLEET_MANAGER')
    t.match(ok(await gql(ME, {}, viewerToken)).me, { role: 'FLEET_MANAGER' }, 'me: the new role, same token')
    t.match(ok(await gql(CREATE_VEHICLE, { number: 'ROLE-1' }, viewerToken)), { createVehicle: { number: 'ROLE-1' } }, 'promoted: the same token creates a vehicle')
    await update(viewer.id, { expectedVersion: promoted.version, role: 'VIEWER' })
    refused(t, await gql(CREATE_VEHICLE, { number: 'ROLE-2' }, viewerToken), 'FORBIDDEN', undefined, 'demoted: the same token cannot')
    t.match(ok(await gql(ME, {}, viewerToken)).me, { role: 'VIEWER' })
  })

  await t.test('an email change is normalised and moves the sign-in', async (t) => {
    const current = await byId(viewer.id) as User
    const moved = await update(viewer.id, { expectedVersion: current.version, email: ' Vera@Fleet.Example ' })
    t.match(moved, { email: 'vera@fleet.example', version: current.version + 1 })
    await loginRefused(t, 'viewer@fleet.example', PASSWORD, 'the old address')
    t.equal((await signIn('VERA@fleet.example')).user.id, viewer.id, 'the new address signs in')
  })

  await t.test('refused input changes nothing', async (t) => {
    const current = await byId(viewer.id) as User
    const attempt = async (input: Record<string, unknown>, id = viewer.id) =>
      await gql(UPDATE, { id, input: { expectedVersion: current.version, ...input } }, admin)
    refusedWith(t, await attempt({ email: 'DISPATCHER@fleet.example' }), 'CONFLICT', 'input.email', 'the email of another user')
    refusedWith(t, await attempt({ email: 'admin@other.example' }), 'CONFLICT', 'input.email', 'the email of another organization\'s user')
    refusedWith(t, await attempt({ email: 'nope' }), 'BAD_USER_INPUT', 'input.email', 'not an email')
    refusedWith(t, await attempt({ email: null }), 'BAD_USER_INPUT', 'input.email', 'email null')
    refusedWith(t, await attempt({ name: ' ' }), 'BAD_USER_INPUT', 'input.name', 'an empty name')
    refusedWith(t, await attempt({ name: null }), 'BAD_USER_INPUT', 'input.name', 'name null')
    refusedWith(t, await attempt({ role: null }), 'BAD_USER_INPUT', 'input.role', 'role null')
    refusedWith(t, await attempt({ name: 'Ghost' }, randomUUID()), 'NOT_FOUND', undefined, 'an unknown user')
    refusedWith(t, await attempt({ name: 'Ghost' }, 'user-1'), 'BAD_USER_INPUT', 'id', 'a malformed id')
    t.same(await byId(viewer.id), current, 'the user is unchanged')
  })
})

void t.test('the organization\'s last active admin keeps the ADMIN role', async (t) => {
  const { gql, admin, signIn, list, byEmail, byId, create, update, tokenEnded } = await setup(t)
  const first = await byEmail('admin@fleet.example')
  const activeAdmins = async (token: string): Promise<string[]> =>
    sorted(emails((await list({ first: 50, filter: { role: ['ADMIN'], active: true } }, token)).nodes))

  await t.test('the only admin can neither demote nor deactivate themself', async (t) => {
    refusedWith(t, await gql(UPDATE, { id: first.id, input: { expectedVersion: first.version, role: 'FLEET_MANAGER' } }, admin), 'CONFLICT', 'id', 'demoting the last admin')
    const self = await gql(DEACTIVATE, { id: first.id }, admin)
    refusedWith(t, self, 'CONFLICT', 'id', 'deactivating yourself')
    t.match(self.errors?.[0]?.message, /yourself/)
    t.match(await byId(first.id), { role: 'ADMIN', active: true, version: first.version }, 'unchanged')
    t.match(ok(await gql(ME, {}, admin)).me, { role: 'ADMIN' })
  })

  const second = (await create({ email: 'second.admin@fleet.example', name: 'Second Admin', role: 'ADMIN', password: 'second admin pw' })).user
  const secondToken = (await signIn('second.admin@fleet.example', 'second admin pw')).accessToken

  await t.test('with two admins, one can be demoted; then the other is the last', async (t) => {
    const demoted = await update(first.id, { expectedVersion: first.version, role: 'FLEET_MANAGER' }, secondToken)
    t.equal(demoted.role, 'FLEET_MANAGER')
    refused(t, await gql(USERS, { first: 1 }, admin), 'FORBIDDEN', undefined, 'the demoted admin\'s token lost the role at once')
    const current = await byId(second.id, secondToken) as User
    refusedWith(t, await gql(UPDATE, { id: second.id, input: { expectedVersion: current.version, role: 'VIEWER' } }, secondToken), 'CONFLICT', 'id', 'the remaining admin cannot demote themself')
    await update(first.id, { expectedVersion: demoted.version, role: 'ADMIN' }, secondToken)
    t.equal((await list({ first: 1 }, admin)).totalCount, 7, 'promoted again: the first admin\'s token manages users again')
    t.same(await activeAdmins(admin), ['admin@fleet.example', 'second.admin@fleet.example'])
  })

  await t.test('a deactivated admin does not count', async (t) => {
    t.equal((await gql(DEACTIVATE, { id: first.id }, secondToken)).data?.deactivateUser.active, false, 'one of two admins can be deactivated')
    await tokenEnded(t, admin, 'the deactivated admin\'s token')
    const current = await byId(second.id, secondToken) as User
    refusedWith(t, await gql(UPDATE, { id: second.id, input: { expectedVersion: current.version, role: 'VIEWER' } }, secondToken), 'CONFLICT', 'id', 'the last active admin cannot be demoted')
    t.same(await activeAdmins(secondToken), ['second.admin@fleet.example'])
  })

  await t.test('two admins deactivating each other at once: one wins, one active admin remains', async (t) => {
    t.equal((await gql(REACTIVATE, { id: first.id }, secondToken)).data?.reactivateUser.active, true)
    const firstToken = (await signIn('admin@fleet.example')).accessToken
    const results = await Promise.all([
      gql(DEACTIVATE, { id: second.id }, firstToken),
      gql(DEACTIVATE, { id: first.id }, secondToken)
    ])
    const winners = results.filter((r) => r.errors === undefined)
    t.equal(winners.length, 1, 'exactly one deactivation went through')
    const loser = results.find((r) => r.errors !== undefined) as GraphQLResponse
    t.ok(['CONFLICT', 'UNAUTHENTICATED'].includes(codes(loser)[0] as string), `the other is refused (last admin, or its caller already deactivated): ${JSON.stringify(codes(loser))}`)
    const survivor = results[0] === winners[0] ? firstToken : secondToken
    t.equal((await activeAdmins(survivor)).length, 1, 'the organization keeps one active admin')
  })
})

void t.test('updateUser links a user to a driver record; a DRIVER sees only that driver\'s rows', async (t) => {
  const { gql, login, admin, signIn, byEmail, byId, create, update } = await setup(t)
  const manager = dataFetcher(gql, await login('fleet_manager@fleet.example'))
  const drivers = async (assigned: boolean) =>
    (await manager<any>('query ($assigned: Boolean) { drivers(first: 200, filter: { assigned: $assigned }) { nodes { id name currentVehicle { id } } } }', { assigned })).drivers.nodes as Array<{ id: string, currentVehicle: { id: string } | null }>
  const demoDriverLink = (await byEmail('driver@fleet.example')).driver?.id
  t.ok(demoDriverLink !== undefined, 'the demo driver user is linked to a driver record')
  const assigned = (await drivers(true)).find((d) => d.id !== demoDriverLink && d.currentVehicle !== null) as { id: string, currentVehicle: { id: string } }
  const unassigned = (await drivers(false)).find((d) => d.id !== demoDriverLink) as { id: string }
  t.ok(assigned !== undefined && unassigned !== undefined, 'a driver with a current vehicle and one without')
  const foreignDriver = (await dataFetcher(gql, await login('fleet_manager@other.example'))<any>('{ drivers(first: 1) { nodes { id } } }')).drivers.nodes[0].id as string

  const { user } = await create({ email: 'dana.driver@fleet.example', name: 'Dana Driver', role: 'DRIVER', password: 'dana driver pw' })
  const token = (await signIn('dana.driver@fleet.example', 'dana driver pw')).accessToken
  const sees = async () => {
    const data = ok(await gql<any>(`{ drivers(first: 50) { nodes { id } } vehicles(first: 50) { nodes { id } } }`, {}, token))
    return { drivers: data.drivers.nodes.map((d: { id: string }) => d.id), vehicles: data.vehicles.nodes.map((v: { id: string }) => v.id) }
  }

  await t.test('a DRIVER linked to no driver record sees nothing', async (t) => {
    t.equal(user.driver, null)
    t.same(await sees(), { drivers: [], vehicles: [] })
  })

  await t.test('linked: its own driver record and the vehicle it drives now, with the same token', async (t) => {
    const linked = await update(user.id, { expectedVersion: user.version, driverId: assigned.id })
    t.same(linked.driver, { id: assigned.id }, 'User.driver shows the link')
    t.same(await sees(), { drivers: [assigned.id], vehicles: [assigned.currentVehicle.id] })
    t.same(ok(await gql<any>('query ($id: ID!) { driver(id: $id) { id } }', { id: unassigned.id }, token)), { driver: null }, 'another driver is not visible')
  })

  await t.test('an unknown or foreign driver is refused and the link is kept', async (t) => {
    const current = await byId(user.id) as User
    const attempts: Array<[string, string]> = [['another organization\'s driver', foreignDriver], ['an unknown driver', randomUUID()], ['a malformed id', 'driver-1']]
    for (const [label, driverId] of attempts) {
      refusedWith(t, await gql(UPDATE, { id: user.id, input: { expectedVersion: current.version, driverId } }, admin), 'BAD_USER_INPUT', 'input.driverId', label)
    }
    t.same((await byId(user.id))?.driver, { id: assigned.id }, 'still linked to its driver')
  })

  await t.test('relinked to a driver without an assignment: that record, no vehicle', async (t) => {
    const current = await byId(user.id) as User
    t.same((await update(user.id, { expectedVersion: current.version, driverId: unassigned.id })).driver, { id: unassigned.id })
    t.same(await sees(), { drivers: [unassigned.id], vehicles: [] })
  })

  await t.test('a link change alone is an edit: the version moves on, a stale one is refused', async (t) => {
    const current = await byId(user.id) as User
    const relinked = await update(user.id, { expectedVersion: current.version, driverId: assigned.id })
    t.equal(relinked.version, current.version + 1, 'the version moved on')
    refusedWith(t, await gql(UPDATE, { id: user.id, input: { expectedVersion: current.version, driverId: null } }, admin), 'CONFLICT', 'input.expectedVersion', 'the same version again')
    t.same((await byId(user.id))?.driver, { id: assigned.id }, 'the stale change did not apply')
    t.same((await update(user.id, { expectedVersion: relinked.version, driverId: unassigned.id })).driver, { id: unassigned.id })
  })

  await t.test('the sign-in payload shows the link', async (t) => {
    const session = await gql<{ login: Session }>(LOGIN, { email: 'dana.driver@fleet.example', password: 'dana driver pw' })
    t.same(codes(session), [], 'no error beside the tokens')
    t.same(session.data?.login.user.driver, { id: unassigned.id })
  })

  await t.test('driverId null unlinks', async (t) => {
    const current = await byId(user.id) as User
    t.equal((await update(user.id, { expectedVersion: current.version, driverId: null })).driver, null)
    t.equal((await byId(user.id))?.driver, null)
    t.same(await sees(), { drivers: [], vehicles: [] }, 'sees nothing again')
  })

  await t.test('createUser can link at once', async (t) => {
    const created = (await create({ email: 'dario.driver@fleet.example', name: 'Dario Driver', role: 'DRIVER', password: 'dario driver pw', driverId: assigned.id })).user
    t.same(created.driver, { id: assigned.id })
    const own = ok(await gql<any>(DRIVERS, {}, (await signIn('dario.driver@fleet.example', 'dario driver pw')).accessToken))
    t.same(own.drivers.nodes, [{ id: assigned.id }])
  })
})

void t.test('deactivateUser ends the user\'s sessions at once; reactivateUser lets them sign in again', async (t) => {
  const { app, gql, login, admin, signIn, list, byEmail, loginRefused, tokenEnded, refreshRefused, tokenWorks } = await setup(t)
  const viewer = await byEmail('viewer@fleet.example')
  const session = await signIn('viewer@fleet.example')

  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `${base.replace('http', 'ws')}/graphql`
  const target = await subscribe(t, url, `Bearer ${session.accessToken}`, SUBSCRIPTION) as SubscriptionClient
  const control = await subscribe(t, url, `Bearer ${await login('dispatcher@fleet.example')}`, SUBSCRIPTION) as SubscriptionClient
  t.ok(Array.isArray(target.events) && Array.isArray(control.events), 'both subscribers connected')

  const manager = dataFetcher(gql, await login('fleet_manager@fleet.example'))
  const vehicle = (await manager<any>('{ vehicles(first: 1, filter: { status: [ACTIVE] }) { nodes { id version } } }')).vehicles.nodes[0] as { id: string, version: number }
  let version = vehicle.version
  const rename = async (name: string): Promise<void> => {
    version = (await manager<any>('mutation ($id: ID!, $v: Int!, $name: String!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: $name }) { version } }', { id: vehicle.id, v: version, name })).updateVehicle.version
  }

  await rename('Before deactivation')
  t.same((await target.waitFor(1))[0], { data: { vehicleChanged: { kind: 'UPDATED', vehicle: { id: vehicle.id, name: 'Before deactivation' } } } }, 'the viewer\'s subscription receives events')

  const deactivated = (await dataFetcher(gql, admin)<{ deactivateUser: User }>(DEACTIVATE, { id: viewer.id })).deactivateUser

  await t.test('the result', async (t) => {
    t.match(deactivated, { id: viewer.id, active: false, deactivatedAt: String, version: viewer.version + 1 })
    t.ok(Math.abs(Date.parse(deactivated.deactivatedAt as string) - Date.now()) < 60_000, 'deactivatedAt is now')
  })

  await t.test('the access token stops working, the refresh token too, and sign-in fails like a wrong password', async (t) => {
    await tokenEnded(t, session.accessToken, 'the existing access token')
    await refreshRefused(t, session.refreshToken, 'the refresh token')
    await loginRefused(t, 'viewer@fleet.example', PASSWORD, 'the right password of a deactivated user')
  })

  await t.test('an open subscription ends with UNAUTHENTICATED at the next event, which it does not receive', async (t) => {
    await rename('After deactivation')
    await control.waitFor(2)
    const end = await target.waitForEnd()
    t.equal(end.type, 'error', 'the server ends the subscription (graphql-transport-ws `error`)')
    t.same(end.payload.map((e: any) => e.extensions?.code), ['UNAUTHENTICATED'])
    t.match(end.payload[0], { message: SESSION_ENDED })
    await rename('Later still')
    await control.waitFor(3)
    t.equal(control.events[2].data.vehicleChanged.vehicle.name, 'Later still', 'the event was published')
    await pause(300)
    t.equal(target.events.length, 1, 'the deactivated user receives no event after the deactivation')
    t.notOk(JSON.stringify(target.events).includes('After deactivation'), 'no data of the fleet after the deactivation')
  })

  await t.test('listed as deactivated', async (t) => {
    const inactive = await list({ first: 50, filter: { active: false } })
    t.equal(inactive.totalCount, 1)
    t.match(inactive.nodes, [{ id: viewer.id, active: false, deactivatedAt: deactivated.deactivatedAt }])
    t.notOk(emails((await list({ first: 50, filter: { active: true } })).nodes).includes('viewer@fleet.example'), 'not among the active')
  })

  await t.test('deactivating twice is harmless', async (t) => {
    const again = ok(await gql<{ deactivateUser: User }>(DEACTIVATE, { id: viewer.id }, admin)).deactivateUser
    t.same(again, deactivated, 'the same user, unchanged')
  })

  await t.test('refusals: yourself, unknown and foreign users, malformed ids', async (t) => {
    const self = await byEmail('admin@fleet.example')
    refusedWith(t, await gql(DEACTIVATE, { id: self.id }, admin), 'CONFLICT', 'id', 'yourself')
    refusedWith(t, await gql(DEACTIVATE, { id: randomUUID() }, admin), 'NOT_FOUND', undefined, 'an unknown id')
    const foreign = (await list({ first: 1, filter: { role: ['VIEWER'] } }, await login('admin@other.example'))).nodes[0] as User
    refusedWith(t, await gql(DEACTIVATE, { id: foreign.id }, admin), 'NOT_FOUND', undefined, 'another organization\'s user')
    refusedWith(t, await gql(DEACTIVATE, { id: 'x' }, admin), 'BAD_USER_INPUT', 'id', 'a malformed id')
    await tokenWorks(t, await login('viewer@other.example'), 'the other organization\'s viewer is untouched')
    await tokenWorks(t, admin, 'the admin is untouched')
  })

  await t.test('reactivated: the user signs in again; tokens from before the deactivation stay invalid', async (t) => {
    const reactivated = ok(await gql<{ reactivateUser: User }>(REACTIVATE, { id: viewer.id }, admin)).reactivateUser
    t.match(reactivated, { id: viewer.id, active: true, deactivatedAt: null, version: deactivated.version + 1 })
    t.equal((await list({ first: 50, filter: { active: false } })).totalCount, 0, 'nobody is deactivated any more')
    await tokenEnded(t, session.accessToken, 'the access token from before')
    await refreshRefused(t, session.refreshToken, 'the refresh token from before')
    const after = await signIn('viewer@fleet.example')
    await tokenWorks(t, after.accessToken, 'a new sign-in')
    t.match(ok(await gql(REFRESH, { token: after.refreshToken })), { refreshSession: { accessToken: String } }, 'the new session refreshes')

    await rename('After reactivation')
    await control.waitFor(4)
    await pause(300)
    t.equal(target.events.length, 1, 'the subscription opened with the old token stays ended')

    const again = ok(await gql<{ reactivateUser: User }>(REACTIVATE, { id: viewer.id }, admin)).reactivateUser
    t.same({ ...again, lastLoginAt: null }, { ...reactivated, lastLoginAt: null }, 'reactivating an active user changes nothing (but the sign-in time)')
    refusedWith(t, await gql(REACTIVATE, { id: randomUUID() }, admin), 'NOT_FOUND', undefined, 'an unknown id')
    refusedWith(t, await gql(REACTIVATE, { id: 'x' }, admin), 'BAD_USER_INPUT', 'id', 'a malformed id')
  })
})

void t.test('resetUserPassword: a temporary password, every session ended', async (t) => {
  const { gql, admin, signIn, byEmail, byId, loginRefused, tokenEnded, refreshRefused, tokenWorks } = await setup(t)
  const mechanic = await byEmail('mechanic@fleet.example')
  const sessions = [await signIn('mechanic@fleet.example'), await signIn('mechanic@fleet.example')]

  const reset = ok(await gql<{ resetUserPassword: Credentials }>(RESET, { id: mechanic.id }, admin)).resetUserPassword
  t.match(reset.temporaryPassword, TEMPORARY, '16 URL-safe characters')
  t.match(reset.user, { id: mechanic.id, mustChangePassword: true, active: true })
  t.match(await byId(mechanic.id), { mustChangePassword: true })

  for (const [i, session] of sessions.entries()) {
    await tokenEnded(t, session.accessToken, `session ${i + 1}: access token`)
    await refreshRefused(t, session.refreshToken, `session ${i + 1}: refresh token`)
  }
  await loginRefused(t, 'mechanic@fleet.example', PASSWORD, 'the old password')

  const temporary = await signIn('mechanic@fleet.example', reset.temporaryPassword as string)
  t.equal(temporary.user.mustChangePassword, true, 'the temporary password signs in, must-change')
  passwordChangeRequired(t, await gql(VEHICLES, {}, temporary.accessToken), 'vehicles before the change')
  const changed = ok(await gql<{ changePassword: Session }>(CHANGE_PASSWORD, { current: reset.temporaryPassword, next: 'mechanic pw 2' }, temporary.accessToken)).changePassword
  await tokenWorks(t, changed.accessToken, 'after changePassword')

  const second = ok(await gql<{ resetUserPassword: Credentials }>(RESET, { id: mechanic.id }, admin)).resetUserPassword
  t.not(second.temporaryPassword, reset.temporaryPassword, 'each reset its own password')
  await tokenEnded(t, changed.accessToken, 'a second reset ends the new session too')
  await loginRefused(t, 'mechanic@fleet.example', 'mechanic pw 2', 'the password the user had chosen')
  refusedWith(t, await gql(RESET, { id: randomUUID() }, admin), 'NOT_FOUND', undefined, 'an unknown id')
})

void t.test('only the organization\'s own ADMIN manages its users', async (t) => {
  const { gql, login, list, byEmail, byId, tokenWorks } = await setup(t)
  const tokens = new Map<string, string>()
  for (const email of NON_ADMIN_EMAILS) tokens.set(email, await login(email))
  const otherAdmin = await login('admin@other.example')
  const viewer = await byEmail('viewer@fleet.example')
  const mutations: Array<[string, string, Record<string, unknown>]> = [
    ['createUser', CREATE, { input: { email: 'sneaky@fleet.example', name: 'Sneaky', role: 'ADMIN', password: 'sneaky password' } }],
    ['createUser (invite)', CREATE, { input: { email: 'sneaky2@fleet.example', name: 'Sneaky', role: 'ADMIN' } }],
    ['updateUser', UPDATE, { id: viewer.id, input: { expectedVersion: viewer.version, name: 'Taken over', role: 'ADMIN' } }],
    ['deactivateUser', DEACTIVATE, { id: viewer.id }],
    ['reactivateUser', REACTIVATE, { id: viewer.id }],
    ['resetUserPassword', RESET, { id: viewer.id }]
  ]

  await t.test('every other role is FORBIDDEN, anonymous UNAUTHENTICATED', async (t) => {
    for (const [email, token] of tokens) {
      for (const [label, mutation, variables] of mutations) refusedWith(t, await gql(mutation, variables, token), 'FORBIDDEN', undefined, `${email}: ${label}`)
    }
    for (const [label, mutation, variables] of mutations) refusedWith(t, await gql(mutation, variables), 'UNAUTHENTICATED', undefined, `anonymous: ${label}`)
  })

  await t.test('an admin of another organization gets NOT_FOUND for a demo user', async (t) => {
    for (const [label, mutation, variables] of mutations.filter(([name]) => !name.startsWith('createUser'))) {
      refusedWith(t, await gql(mutation, variables, otherAdmin), 'NOT_FOUND', undefined, label)
    }
    refusedWith(t, await gql(UPDATE, { id: viewer.id, input: { expectedVersion: viewer.version, role: 'DRIVER' } }, otherAdmin), 'NOT_FOUND', undefined, 'updateUser (a demotion)')
  })

  await t.test('nothing changed', async (t) => {
    t.equal((await list({ first: 1 })).totalCount, 6, 'no user was added to demo')
    t.notOk(emails((await list({ first: 50 }, otherAdmin)).nodes).some((e) => e.startsWith('sneaky')), 'nor to the other organization')
    t.same(await byId(viewer.id), viewer, 'the viewer is unchanged')
    await tokenWorks(t, tokens.get('viewer@fleet.example') as string, 'its session goes on')
    t.match(ok(await gql(LOGIN, { email: 'viewer@fleet.example', password: PASSWORD })), { login: { user: { mustChangePassword: false } } }, 'its password still works')
  })
})
