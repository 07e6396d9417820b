import t, { type Test } from 'tap'
import { buildTestApp, codes } from './helpers/app.js'
import { demoDatabase, usingPostgres } from './helpers/database.js'
import { runScript } from './helpers/process.js'
import { privateRedis } from './helpers/redis.js'
import { switchesTopic } from '../src/modules/operations/catalog.js'

// Runtime switches: feature flags (kill switches) and read-only maintenance mode, from GraphQL
// (an organization's admin), from the ops CLI (the whole service) and from the environment.

const CREATE_FACILITY = 'mutation ($code: String!) { createFacility(input: { code: $code, name: "Switch test", type: YARD }) { code } }'
const FLAGS = '{ featureFlags { name enabled scope reason } }'
const SET_FLAG = 'mutation ($name: String!, $enabled: Boolean!, $reason: String) { setFeatureFlag(name: $name, enabled: $enabled, reason: $reason) { name enabled scope reason } }'
const SET_MAINTENANCE = 'mutation ($enabled: Boolean!, $message: String) { setMaintenanceMode(enabled: $enabled, message: $message) { enabled message scope since } }'

void t.test('feature flags', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const admin = await login('admin@fleet.example')
  const manager = await login('fleet_manager@fleet.example')
  const otherManager = await login('fleet_manager@other.example')

  const listed = await gql<{ featureFlags: Array<{ name: string, enabled: boolean, scope: string | null }> }>(FLAGS, {}, admin)
  t.ok((listed.data?.featureFlags.length ?? 0) >= 5)
  t.ok(listed.data?.featureFlags.every((f) => f.enabled && f.scope === null), 'all on by default')
  t.same(codes(await gql(FLAGS, {}, manager)), ['FORBIDDEN'], 'admins only')
  t.same(codes(await gql(SET_FLAG, { name: 'facility-writes', enabled: false }, manager)), ['FORBIDDEN'])

  const off = await gql(SET_FLAG, { name: 'facility-writes', enabled: false, reason: 'investigating duplicate codes' }, admin)
  t.same(off.data, { setFeatureFlag: { name: 'facility-writes', enabled: false, scope: 'ORGANIZATION', reason: 'investigating duplicate codes' } })
  const refused = await gql(CREATE_FACILITY, { code: 'F1' }, manager)
  t.same(codes(refused), ['FEATURE_DISABLED'])
  t.match(refused.errors?.[0]?.message, /switched off: investigating duplicate codes/)
  t.equal(refused.errors?.[0]?.extensions.feature, 'facility-writes')
  t.equal((await gql('{ facilities { totalCount } }', {}, manager)).data?.facilities.totalCount, 3, 'reads unaffected')
  t.equal((await gql(CREATE_FACILITY, { code: 'F1' }, otherManager)).errors, undefined, 'other organizations unaffected')

  await gql(SET_FLAG, { name: 'facility-writes', enabled: true }, admin)
  t.same((await gql(CREATE_FACILITY, { code: 'F1' }, manager)).data, { createFacility: { code: 'F1' } }, 'back on')

  const unknown = await gql(SET_FLAG, { name: 'teleportation', enabled: false }, admin)
  t.same(codes(unknown), ['BAD_USER_INPUT'])
  t.equal(unknown.errors?.[0]?.extensions.field, 'name')
})

void t.test('maintenance mode for one organization', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const admin = await login('admin@fleet.example')
  const manager = await login('fleet_manager@fleet.example')
  const otherManager = await login('fleet_manager@other.example')

  const on = await gql<{ setMaintenanceMode: { enabled: boolean, message: string, scope: string, since: string } }>(SET_MAINTENANCE, { enabled: true, message: 'Upgrading the registry until 02:00' }, admin)
  t.match(on.data?.setMaintenanceMode, { enabled: true, message: 'Upgrading the registry until 02:00', scope: 'ORGANIZATION', since: String })
  const refused = await gql(CREATE_FACILITY, { code: 'M1' }, manager)
  t.same(codes(refused), ['MAINTENANCE'])
  t.equal(refused.errors?.[0]?.message, 'Upgrading the registry until 02:00')
  t.equal((await gql('{ vehicles { totalCount } }', {}, manager)).data?.vehicles.totalCount, 50, 'reads go on')
  t.same((await gql('{ maintenanceMode { enabled message } }', {}, manager)).data, { maintenanceMode: { enabled: true, message: 'Upgrading the registry until 02:00' } }, 'the app can show a banner')
  t.ok(await login('viewer@fleet.example', 'fleet-demo'), 'signing in still works')
  t.same((await gql('mutation { reportClientError(input: { message: "banner clicked" }) }', {}, manager)).data, { reportClientError: true }, 'error reports still work')
  t.equal((await gql(CREATE_FACILITY, { code: 'M1' }, otherManager)).errors, undefined, 'other organizations unaffected')

  t.same((await gql(SET_MAINTENANCE, { enabled: false }, admin)).data, { setMaintenanceMode: { enabled: false, message: null, scope: null, since: null } })
  t.equal((await gql(CREATE_FACILITY, { code: 'M1' }, manager)).errors, undefined, 'writes again')
})

void t.test('MAINTENANCE_MODE from the environment covers every organization', async (t) => {
  const { gql, login } = await buildTestApp(t, { env: { MAINTENANCE_MODE: 'true', MAINTENANCE_MESSAGE: 'Database failover drill' } })
  for (const email of ['fleet_manager@fleet.example', 'fleet_manager@other.example']) {
    const token = await login(email)
    const response = await gql(CREATE_FACILITY, { code: 'E1' }, token)
    t.same(codes(response), ['MAINTENANCE'], email)
    t.equal(response.errors?.[0]?.message, 'Database failover drill')
  }
  const admin = await login('admin@fleet.example')
  const attempt = await gql<{ setMaintenanceMode: { enabled: boolean, scope: string } }>(SET_MAINTENANCE, { enabled: false }, admin)
  t.match(attempt.data?.setMaintenanceMode, { enabled: true, scope: 'SERVICE' }, 'an organization cannot lift the service-wide switch')
})

void t.test('reportClientError accepts reports without a session and checks them', async (t) => {
  const { gql } = await buildTestApp(t)
  const report = 'mutation ($input: ClientErrorInput!) { reportClientError(input: $input) }'
  t.same((await gql(report, { input: { message: 'TypeError: x is undefined', stack: 'at render (app.js:1:2)\nat main', url: 'https://app.example/vehicles', userAgent: 'Mozilla/5.0', release: '1.4.2' } })).data, { reportClientError: true })
  const empty = await gql(report, { input: { message: '   ' } })
  t.same(codes(empty), ['BAD_USER_INPUT'])
  t.equal(empty.errors?.[0]?.extensions.field, 'input.message')
  t.same(codes(await gql(report, { input: { message: 'x'.repeat(5000) } })), ['BAD_USER_INPUT'], 'bounded size')
})

void t.test('the ops CLI switches the whole service; every replica follows', { skip: usingPostgres ? false : 'two replicas need one shared PostgreSQL database' }, async (t) => {
  const database = await demoDatabase(t)
  if (database.kind !== 'postgres') throw new Error('expected PostgreSQL')
  const env = { SWITCHES_REFRESH_MS: '200' }
  const a = await buildTestApp(t, { database, env })
  const b = await buildTestApp(t, { database, env })
  const managerA = await a.login('fleet_manager@fleet.example')
  const managerB = await b.login('fleet_manager@other.example')
  const adminB = await b.login('admin@other.example')
  const ops = async (...args: string[]) => await runScript('src/cli/ops.ts', args, { env: { DATABASE_URL: database.url } })
  // Without Redis each replica re-reads the switches every 200 ms: wait for that, not a guessed time.
  const flagOff = await ops('flag', 'assignments', 'off', 'incident 42')
  t.equal(flagOff.code, 0, flagOff.stderr)
  const assign = 'mutation { endAssignment(id: "00000000-0000-4000-8000-000000000000") { id } }'
  await eventually(t, async () => codes(await a.gql(assign, {}, managerA))[0] === 'FEATURE_DISABLED', 'replica A follows')
  await eventually(t, async () => codes(await b.gql(assign, {}, managerB))[0] === 'FEATURE_DISABLED', 'replica B follows, for another organization too')
  const override = await b.gql<{ setFeatureFlag: { enabled: boolean, scope: string } }>(SET_FLAG, { name: 'assignments', enabled: true }, adminB)
  t.match(override.data?.setFeatureFlag, { enabled: false, scope: 'SERVICE' }, 'an organization cannot switch on what the service switched off')
  const status = await ops('status')
  t.match(status.stdout, /flag assignments: OFF \(incident 42\)/)
  await ops('flag', 'assignments', 'on')
  await eventually(t, async () => codes(await a.gql(assign, {}, managerA))[0] === 'NOT_FOUND', 'back on: the mutation runs (and finds nothing)')

  const maintenanceOn = await ops('maintenance', 'on', 'Restoring from backup')
  t.equal(maintenanceOn.code, 0, maintenanceOn.stderr)
  for (const [replica, token] of [[a, managerA], [b, managerB]] as const) {
    // Probed with a mutation that changes nothing when it runs: a write before the switch applied would spoil the test.
    await eventually(t, async () => codes(await replica.gql(assign, {}, token))[0] === 'MAINTENANCE', 'maintenance reaches the replica')
    const response = await replica.gql(CREATE_FACILITY, { code: 'OPS1' }, token)
    t.same(codes(response), ['MAINTENANCE'])
    t.equal(response.errors?.[0]?.message, 'Restoring from backup')
  }
  t.match((await ops('status')).stdout, /maintenance \(service\): ON since .*: Restoring from backup/)
  await ops('maintenance', 'off')
  await eventually(t, async () => codes(await a.gql(assign, {}, managerA))[0] === 'NOT_FOUND', 'maintenance off on A')
  t.equal((await a.gql(CREATE_FACILITY, { code: 'OPS1' }, managerA)).errors, undefined, 'writes again')

  const bad = await ops('flag', 'teleportation', 'off')
  t.equal(bad.code, 2)
  t.match(bad.stderr, /unknown feature/)
})

void t.test('with Redis, a switch change reaches every replica at once', { skip: usingPostgres ? false : 'two replicas need one shared PostgreSQL database' }, async (t) => {
  const redis = await privateRedis(t)
  const database = await demoDatabase(t)
  if (database.kind !== 'postgres') throw new Error('expected PostgreSQL')
  // A refresh interval far longer than the test: only the announcement can explain a change.
  const env = { SWITCHES_REFRESH_MS: '600000', REDIS_URL: redis.url }
  const a = await buildTestApp(t, { database, env })
  const b = await buildTestApp(t, { database, env })
  const adminA = await a.login('admin@fleet.example')
  const managerB = await b.login('fleet_manager@fleet.example')
  // Both replicas listen on the switches topic before anything is announced on it.
  const listeners = async (): Promise<number> => Number(((await redis.client().pubsub('NUMSUB', switchesTopic(a.config.CACHE_NAMESPACE))) as [string, number])[1])
  for (const until = Date.now() + 10_000; await listeners() < 2;) {
    if (Date.now() > until) throw new Error('the replicas never subscribed to the switches topic')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await a.gql(SET_FLAG, { name: 'facility-writes', enabled: false }, adminA)
  await eventually(t, async () => codes(await b.gql(CREATE_FACILITY, { code: 'PS1' }, managerB))[0] === 'FEATURE_DISABLED', 'GraphQL change on A applies on B')
  await a.gql(SET_FLAG, { name: 'facility-writes', enabled: true }, adminA)
  await eventually(t, async () => (await b.gql(CREATE_FACILITY, { code: 'PS2' }, managerB)).errors === undefined, 'and back')

  // The CLI announces on the environment's topic: it needs the service's CACHE_NAMESPACE.
  const cliEnv = { DATABASE_URL: database.url, REDIS_URL: redis.url, CACHE_NAMESPACE: a.config.CACHE_NAMESPACE }
  const cli = await runScript('src/cli/ops.ts', ['maintenance', 'on', 'Announced over Redis'], { env: cliEnv })
  t.match(cli.stdout, /announced to running replicas/)
  await eventually(t, async () => codes(await b.gql(CREATE_FACILITY, { code: 'PS3' }, managerB))[0] === 'MAINTENANCE', 'the ops CLI reaches B at once')
  await runScript('src/cli/ops.ts', ['maintenance', 'off'], { env: cliEnv })
})

async function eventually (t: Test, condition: () => Promise<boolean>, label: string): Promise<void> {
  const until = Date.now() + 10_000
  while (Date.now() < until) {
    if (await condition()) {
      t.pass(label)
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.fail(`${label}: not within 10 s`)
}
