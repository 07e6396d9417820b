import { sql } from 'kysely'
import t from 'tap'
import { loadSchema } from '../src/graphql/schema.js'
import { buildTestApp, codes, type TestApp } from './helpers/app.js'
import { demoDatabase, usingPostgres } from './helpers/database.js'
import { allPages, dataFetcher, ok } from './helpers/graphql.js'
import { type AuditCtx, type AuditRun, loadTestPlans } from './helpers/plans/index.js'
import { runScript } from './helpers/process.js'
import { rootFields } from './helpers/schema-walk.js'

// The audit trail: every state-changing mutation leaves records written in its own transaction
// (a failed one leaves none), with who, when, what and the changed fields before and after,
// secrets never; admins read them with auditLog; nothing can change them, not even SQL, except
// the retention command. How to make each mutation change something, and the record it must
// leave, are the modules' own: the `audit` part of src/modules/<name>/test-plan.ts
// (test/helpers/plans/); a mutation no plan names fails here.

const ENTRY = 'id occurredAt actor { id email } actorRole operation requestId entity entityId action changes { field before after redacted }'
const AUDIT = `query ($filter: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { ${ENTRY} } }
}`

interface Change { field: string, before: unknown, after: unknown, redacted: boolean }
interface Entry {
  id: string
  occurredAt: string
  actor: { id: string, email: string } | null
  actorRole: string | null
  operation: string | null
  requestId: string | null
  entity: string
  entityId: string | null
  action: string
  changes: Change[]
}
interface AuditPage {
  totalCount: number
  pageInfo: { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }
  nodes: Entry[]
}

const VIN = '1FTBR1C80MKA00001'

const plans = await loadTestPlans()
const PLAN = plans.audit

async function context (gql: TestApp['gql'], login: TestApp['login']): Promise<AuditCtx> {
  const token = { admin: await login('admin@fleet.example'), manager: await login('fleet_manager@fleet.example'), dispatcher: await login('dispatcher@fleet.example') }
  const as = dataFetcher(gql, token.admin)
  const { users } = await as<any>('{ users(first: 10) { nodes { id role } } }')
  const idOf = (role: string): string => users.nodes.find((u: { role: string }) => u.role === role).id
  const fleet = await as<any>(`{
    vehicles(first: 1, filter: { assigned: false, status: [ACTIVE] }) { nodes { id } }
    busy: vehicles(first: 1, filter: { assigned: true }) { nodes { id version } }
    drivers(first: 1, filter: { assigned: false, status: [ACTIVE] }) { nodes { id } }
    others: drivers(first: 1, filter: { assigned: true }) { nodes { id version } }
    facilities(first: 1) { nodes { id version } }
  }`)
  return {
    gql,
    token,
    ids: { admin: idOf('ADMIN'), manager: idOf('FLEET_MANAGER'), dispatcher: idOf('DISPATCHER'), viewer: idOf('VIEWER') },
    free: { vehicle: fleet.vehicles.nodes[0].id, driver: fleet.drivers.nodes[0].id },
    vehicle: fleet.busy.nodes[0],
    driver: fleet.others.nodes[0],
    facility: fleet.facilities.nodes[0]
  }
}

const byId = (entries: Entry[]): Entry[] => [...entries].sort((x, y) => Number(BigInt(y.id) - BigInt(x.id)))

void t.test('every mutation of the schema is in the audit plan', async (t) => {
  const mutations = rootFields(loadSchema().schema).filter((rf) => rf.root === 'Mutation').map((rf) => rf.name)
  for (const name of mutations) t.ok(PLAN[name] !== undefined, `${name} is planned (add it to audit in ${plans.fileFor('Mutation', name)})`)
  for (const name of Object.keys(PLAN)) t.ok(mutations.includes(name), `the audit plan of ${name} is of a mutation of the schema`)
  const { schema } = loadSchema()
  const writes = Object.values(schema.getMutationType()?.getFields() ?? {}).filter((f) => /audit/i.test(f.name) || /Audit/.test(String(f.type)))
  t.same(writes.map((f) => f.name), [], 'no mutation touches the audit trail: records cannot be changed through the API')
})

void t.test('every state-changing mutation leaves a record: who, what, when, which request', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const c = await context(gql, login)
  const admin = dataFetcher(gql, c.token.admin)
  let audited = 0
  for (const [name, plan] of Object.entries(PLAN)) {
    if ('exempt' in plan) continue
    const started = Date.now()
    const response = await plan.call(c)
    t.same(codes(response), [], `${name} succeeds`)
    const page = (await admin<{ auditLog: AuditPage }>(AUDIT, { filter: { operation: name }, first: 50 })).auditLog
    const entry = page.nodes.find((e) => e.requestId === response.headers['x-request-id'] && e.entity === plan.entity && e.action === plan.action)
    if (entry === undefined) {
      t.fail(`${name}: no ${plan.entity} ${plan.action} record for its request (got ${JSON.stringify(page.nodes.map((e) => [e.entity, e.action, e.requestId]))})`)
      continue
    }
    audited++
    t.equal(entry.actor?.id, c.ids[plan.as], `${name}: the actor is the caller`)
    t.equal(entry.actorRole, { admin: 'ADMIN', manager: 'FLEET_MANAGER', dispatcher: 'DISPATCHER', viewer: 'VIEWER' }[plan.as], `${name}: with its role`)
    t.ok(Date.parse(entry.occurredAt) >= started - 1000 && Date.parse(entry.occurredAt) <= Date.now() + 1000, `${name}: occurredAt is now`)
    t.ok(entry.entityId, `${name}: names the entity`)
    if (['CREATE', 'UPDATE'].includes(plan.action)) t.ok(entry.changes.length > 0, `${name}: lists the changed fields`)
    t.notOk(entry.changes.some((ch) => ['updatedAt', 'version', 'createdAt', 'organizationId', 'lastLoginAt'].includes(ch.field)), `${name}: no bookkeeping columns`)
  }
  t.equal(audited, Object.values(PLAN).filter((p) => !('exempt' in p)).length, 'every planned mutation was audited')
  const everything = JSON.stringify((await admin<{ auditLog: AuditPage }>(AUDIT, { first: 200 })).auditLog)
  t.notMatch(everything, /scrypt\$/, 'no password hash anywhere in the trail')
})

void t.test('records say exactly what changed, secrets redacted', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const c = await context(gql, login)
  const admin = dataFetcher(gql, c.token.admin)
  const manager = dataFetcher(gql, c.token.manager)
  const entriesOf = async (filter: object): Promise<Entry[]> => (await admin<{ auditLog: AuditPage }>(AUDIT, { filter, first: 50 })).auditLog.nodes

  const before = (await manager<any>('query ($id: ID!) { vehicle(id: $id) { name licensePlate } }', { id: c.vehicle.id })).vehicle
  await manager('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: "Renamed", licensePlate: null }) { id } }', { id: c.vehicle.id, v: c.vehicle.version })
  const [rename] = await entriesOf({ entityId: c.vehicle.id, operation: 'updateVehicle' })
  t.same(rename?.changes, [
    { field: 'licensePlate', before: before.licensePlate, after: null, redacted: false },
    { field: 'name', before: before.name, after: 'Renamed', redacted: false }
  ], 'an update: the changed fields only, before and after')

  const created = await manager<any>(`mutation { createVehicle(input: { number: "AUD-2", name: "Fresh", vin: "${VIN}", make: "Ford", model: "Transit", year: 2024, type: VAN, fuelType: DIESEL }) { id } }`)
  const [insert] = await entriesOf({ entityId: created.createVehicle.id })
  t.equal(insert?.action, 'CREATE')
  t.match(Object.fromEntries(insert?.changes.map((ch) => [ch.field, ch.after]) ?? []), { number: 'AUD-2', name: 'Fresh', vin: VIN, make: 'Ford', year: 2024, status: 'ACTIVE', odometerKm: '0' }, 'a creation: the values set')
  t.ok(insert?.changes.every((ch) => ch.before === null && ch.after !== null), 'a creation: nothing before, no empty fields')

  // One mutation, several rows: retiring a vehicle ends its current assignment, in one transaction.
  const response = await gql('mutation ($id: ID!) { retireVehicle(id: $id) { id } }', { id: c.vehicle.id }, c.token.manager)
  const retired = await entriesOf({ operation: 'retireVehicle' })
  t.same(retired.map((e) => [e.entity, e.action]).sort(), [['Vehicle', 'UPDATE'], ['VehicleAssignment', 'UPDATE']], 'the vehicle and its ended assignment')
  t.ok(retired.every((e) => e.requestId === response.headers['x-request-id']), 'both carry the request id')
  t.same(retired.find((e) => e.entity === 'VehicleAssignment')?.changes.map((ch) => ch.field), ['endsAt'])

  const invited = await admin<any>('mutation { createUser(input: { email: "secret.keeper@fleet.example", name: "Secret Keeper", role: VIEWER }) { user { id } temporaryPassword } }')
  const [userCreated] = await entriesOf({ entityId: invited.createUser.user.id, action: ['CREATE'] })
  t.same(userCreated?.changes.find((ch) => ch.field === 'passwordHash'), { field: 'passwordHash', before: null, after: null, redacted: true }, 'a password is recorded as set, never its hash')
  t.match(Object.fromEntries(userCreated?.changes.map((ch) => [ch.field, ch.after]) ?? []), { email: 'secret.keeper@fleet.example', role: 'VIEWER', mustChangePassword: true })
  await admin('mutation ($id: ID!) { resetUserPassword(id: $id) { temporaryPassword } }', { id: invited.createUser.user.id })
  const [reset] = await entriesOf({ entityId: invited.createUser.user.id, operation: 'resetUserPassword' })
  t.same(reset?.changes.map((ch) => ch.field), ['passwordHash', 'sessionEpoch'], 'a reset: a new password and the sessions ended')
  t.notMatch(JSON.stringify(await entriesOf({ entityId: invited.createUser.user.id })), new RegExp(`scrypt|${invited.createUser.temporaryPassword as string}`), 'neither the hash nor the temporary password')
})

void t.test('a mutation that fails leaves no record, and nothing else', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const c = await context(gql, login)
  const admin = dataFetcher(gql, c.token.admin)
  const total = async (): Promise<number> => (await admin<{ auditLog: AuditPage }>(AUDIT, { first: 0 })).auditLog.totalCount
  const start = await total()
  t.same(codes(await gql('mutation ($id: ID!) { updateVehicle(id: $id, input: { expectedVersion: 999, name: "Stale" }) { id } }', { id: c.vehicle.id }, c.token.manager)), ['CONFLICT'])
  // The rename is written, then the link fails: the transaction, and with it the record, rolls back.
  t.same(codes(await gql('mutation ($id: ID!) { updateUser(id: $id, input: { expectedVersion: 1, name: "Half Done", driverId: "00000000-0000-4000-8000-000000000000" }) { id } }', { id: c.ids.viewer }, c.token.admin)), ['BAD_USER_INPUT'])
  t.equal((await admin<any>('query ($id: ID!) { user(id: $id) { name version } }', { id: c.ids.viewer })).user.version, 1, 'the rename rolled back')
  t.same(codes(await gql('mutation ($v: ID!, $d: ID!) { assignDriver(input: { vehicleId: $v, driverId: $d }) { id } }', { v: c.vehicle.id, d: c.free.driver }, c.token.dispatcher)), ['CONFLICT'], 'an overlapping assignment')
  t.equal(await total(), start, 'no record of any of them')
})

void t.test('sessions: sign-in, sign-out, and a replayed refresh token', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const admin = dataFetcher(gql, await login('admin@fleet.example'))
  const signIn = 'mutation { login(email: "mechanic@fleet.example", password: "fleet-demo") { refreshToken user { id } } }'
  const first = ok(await gql<any>(signIn)).login
  const next = ok(await gql<any>('mutation ($r: String!) { refreshSession(refreshToken: $r) { refreshToken } }', { r: first.refreshToken })).refreshSession
  t.same(codes(await gql('mutation ($r: String!) { refreshSession(refreshToken: $r) { refreshToken } }', { r: first.refreshToken })), ['UNAUTHENTICATED'], 'the replay is refused')
  t.equal(ok(await gql<any>('mutation ($r: String!) { logout(refreshToken: $r) }', { r: next.refreshToken })).logout, false, 'the replay ended the session already')
  const second = ok(await gql<any>(signIn)).login
  t.equal(ok(await gql<any>('mutation ($r: String!) { logout(refreshToken: $r) }', { r: second.refreshToken })).logout, true)
  const sessions = { entityId: first.user.id, action: ['SIGN_IN', 'SIGN_OUT', 'SESSION_REVOKED'] }
  const trail = byId((await admin<{ auditLog: AuditPage }>(AUDIT, { filter: sessions, first: 20 })).auditLog.nodes)
  t.same(trail.map((e) => [e.action, e.actor?.email ?? null]).reverse(), [
    ['SIGN_IN', 'mechanic@fleet.example'],
    ['SESSION_REVOKED', null],
    ['SIGN_IN', 'mechanic@fleet.example'],
    ['SIGN_OUT', 'mechanic@fleet.example']
  ], 'in order; a replay has no known actor')
  t.same(codes(await gql('mutation { login(email: "mechanic@fleet.example", password: "wrong password") { accessToken } }')), ['UNAUTHENTICATED'])
  t.equal((await admin<{ auditLog: AuditPage }>(AUDIT, { filter: sessions, first: 0 })).auditLog.totalCount, 4, 'a failed sign-in is not recorded (it is logged and throttled): anonymous callers cannot fill the trail')
})

void t.test('auditLog: filters, newest first, keyset pages, one organization', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const c = await context(gql, login)
  const admin = dataFetcher(gql, c.token.admin)
  const read = async (filter: object, first = 200): Promise<AuditPage> => (await admin<{ auditLog: AuditPage }>(AUDIT, { filter, first })).auditLog

  const seeded = await read({ operation: 'seed' }, 1)
  t.ok(seeded.totalCount > 100, 'the demo data was recorded as the seed')
  t.equal(seeded.nodes[0]?.actor, null, 'changes outside the API have no actor')

  for (const run of ['updateVehicle', 'updateDriver', 'updateFacility', 'assignDriver'] as const) ok(await (PLAN[run] as AuditRun).call(c))
  const all = await read({})
  const pages = await allPages(async (window) => (await admin<{ auditLog: AuditPage }>(AUDIT, { ...window, first: window.first ?? 40 })).auditLog, 40)
  const paged = pages.flatMap((p) => p.nodes)
  t.same(paged.slice(0, all.nodes.length).map((e) => e.id), all.nodes.map((e) => e.id), 'pages of 40 add up to the list')
  t.same(paged.map((e) => e.id), byId(paged).map((e) => e.id), 'newest first')

  t.same([...new Set((await read({ entity: ['Driver', 'Facility'], operation: 'updateDriver' })).nodes.map((e) => e.entity))], ['Driver'], 'entity and operation combine')
  t.ok((await read({ actorId: c.ids.manager })).nodes.every((e) => e.actor?.id === c.ids.manager), 'by actor')
  t.ok((await read({ action: ['CREATE'] })).nodes.every((e) => e.action === 'CREATE'), 'by action')
  const newest = all.nodes[0] as Entry
  t.equal((await read({ from: newest.occurredAt })).nodes.at(-1)?.occurredAt !== undefined, true)
  t.ok((await read({ from: newest.occurredAt })).nodes.every((e) => e.occurredAt >= newest.occurredAt), 'from')
  t.equal((await read({ to: '2000-01-01T00:00:00Z' })).totalCount, 0, 'to')
  t.same(codes(await gql(AUDIT, { filter: { entityId: 'not-a-uuid' } }, c.token.admin)), ['BAD_USER_INPUT'])
  t.same(codes(await gql(AUDIT, { after: 'bm90LWEtY3Vyc29y' }, c.token.admin)), ['BAD_USER_INPUT'], 'a forged cursor')

  const other = dataFetcher(gql, await login('admin@other.example'))
  const theirs = (await other<{ auditLog: AuditPage }>(AUDIT, { first: 200 })).auditLog
  const ours = new Set(all.nodes.map((e) => e.id))
  t.ok(theirs.totalCount > 0 && theirs.nodes.every((e) => !ours.has(e.id)), 'another organization sees only its own records')
  t.equal((await other<{ auditLog: AuditPage }>(AUDIT, { filter: { operation: 'updateVehicle' } })).auditLog.totalCount, 0)
  t.same(codes(await gql(AUDIT, {}, c.token.manager)), ['FORBIDDEN'], 'admins only')
})

void t.test('records cannot be changed, even in SQL; only the retention command deletes old ones', async (t) => {
  const database = await demoDatabase(t)
  const { app, gql, login } = await buildTestApp(t, { database })
  const admin = dataFetcher(gql, await login('admin@fleet.example'))
  const count = async (): Promise<number> => Number((await sql<{ n: number }>`select count(*) as n from audit_log`.execute(app.db)).rows[0]?.n)
  const start = await count()
  await t.rejects(sql`update audit_log set operation = 'forged'`.execute(app.db), /audit_log records cannot be changed \(UPDATE\)/, 'UPDATE is refused')
  await t.rejects(sql`delete from audit_log`.execute(app.db), /audit_log records cannot be changed \(DELETE\)/, 'DELETE is refused')
  await t.rejects(sql`truncate audit_log`.execute(app.db), /audit_log records cannot be changed \(TRUNCATE\)/, 'TRUNCATE is refused')
  t.equal(await count(), start, 'all records still there')

  if (!usingPostgres || database.kind !== 'postgres') {
    t.comment('the retention command runs as its own process against a PostgreSQL server (CI sets DATABASE_URL); the deletion it performs is refused above')
    return
  }
  await sql`insert into audit_log (organization_id, occurred_at, entity, action) select id, now() - interval '400 days', 'Vehicle', 'UPDATE' from organizations where slug = 'demo'`.execute(app.db)
  const prune = await runScript('src/cli/ops.ts', ['audit-prune', '365'], { env: { DATABASE_URL: database.url } })
  t.equal(prune.code, 0, prune.stderr)
  t.match(prune.stdout, /deleted 1 audit record\(s\) from before/)
  t.equal(await count(), start, 'the old record went, the others stayed')
  const refused = await runScript('src/cli/ops.ts', ['audit-prune', '0'], { env: { DATABASE_URL: database.url } })
  t.not(refused.code, 0, 'a retention of 0 days is refused')
  t.ok((await admin<{ auditLog: AuditPage }>(AUDIT, { first: 1 })).auditLog.totalCount > 0)
})
