import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { loadSchema } from '../src/graphql/schema.js'
import { buildTestApp, type GraphQLResponse } from './helpers/app.js'
import { dataFetcher } from './helpers/graphql.js'
import { privateRedis } from './helpers/redis.js'
import {
  buildArgs, type Filler, type IdSlot, idSlots, isConnection, merge, operationFor, pathName, type RootField, type RootKind, rootFields
} from './helpers/schema-walk.js'
import { type SubscriptionClient, subscribe } from './helpers/websocket.js'

// Tenant isolation, proven rather than assumed. Every root field of the schema (read from
// schema/*.graphql, so new ones are covered or fail here) is called by organization `other` (B)
// with the ids of organization `demo` (A) in every ID position it has, as B's admin (so that no
// role check hides a leak) and, for queries, as B's viewer. A foreign id must behave exactly like
// one that does not exist (the same answer as a random UUID: null, an empty list, NOT_FOUND or
// BAD_USER_INPUT naming the field), no answer to B may carry anything of A, and no mutation of
// B may change anything of A.

type Args = Record<string, unknown>
type Plan =
  /** Takes ids: every ID argument and ID input field is attacked with A's ids (`args` are merged into the generated arguments). */
  | { kind: 'ids', args?: (c: Ctx) => Args, probes?: (c: Ctx) => Args[], check?: Check, rewrite?: (args: Args) => Args, rejects?: Rejects }
  /** Takes no ids and acts on the caller's own organization: run as B, A must see no change and B nothing of A. */
  | { kind: 'own', why: string, args?: (c: Ctx) => Args, probes?: (c: Ctx) => Args[], check?: Check, last?: boolean }
  /** Touches no tenant data by id (sessions, error reports): not attacked. */
  | { kind: 'open', why: string }
  /** A subscription: `trigger` makes A's event happen; B must not receive it. */
  | { kind: 'event', trigger: (c: Ctx) => Promise<void> }
type Check = (t: Test, data: Record<string, any>, c: Ctx) => void
/** How a mutation that reports refusals as data (not as an error) refused A's id. */
type Rejects = (t: Test, data: Record<string, any> | null, label: string) => void

const ids = (extra: Omit<Extract<Plan, { kind: 'ids' }>, 'kind'> = {}): Plan => ({ kind: 'ids', ...extra })
const own = (why: string, extra: Omit<Extract<Plan, { kind: 'own' }>, 'kind' | 'why'> = {}): Plan => ({ kind: 'own', why, ...extra })
const open = (why: string): Plan => ({ kind: 'open', why })
const VALID_VIN = '1FTBR1C80MKA00001'
/** A real change, so that an update that got through would show in A's snapshot. */
const TAKE_OVER = { input: { name: 'Taken over by other' } }

// Every root field, and how this suite attacks it. A developer adding a root field must add it here.
const PLAN: Record<RootKind, Record<string, Plan>> = {
  Query: {
    me: own('the caller themself'),
    user: ids(),
    users: own('a list without id arguments', {
      probes: ({ a }) => [{ filter: { search: a.state.me.email } }],
      check: (t, d, { b }) => t.equal(d.users.totalCount, b.state.users.totalCount, 'users: only B\'s')
    }),
    auditLog: ids(),
    vehicle: ids(),
    vehicles: ids({
      probes: ({ a }) => [{ filter: { search: a.vehicle.number } }, { filter: { search: a.vehicle.vin } }],
      check: (t, d, { b }) => t.equal(d.vehicles.totalCount, b.count.vehicles, 'vehicles: only B\'s')
    }),
    driver: ids(),
    drivers: own('a list without id arguments', {
      probes: ({ a }) => [{ filter: { search: a.driver.licenseNumber } }, { filter: { search: a.driver.email } }],
      check: (t, d, { b }) => t.equal(d.drivers.totalCount, b.count.drivers, 'drivers: only B\'s')
    }),
    facility: ids(),
    facilities: own('a list without id arguments', { check: (t, d, { b }) => t.equal(d.facilities.totalCount, b.count.facilities, 'facilities: only B\'s') }),
    assignment: ids(),
    assignments: ids({ check: (t, d, { b }) => t.equal(d.assignments.totalCount, b.count.assignments, 'assignments: only B\'s') }),
    fleetSummary: own('counts of the caller\'s organization', { check: (t, d, { b }) => t.equal(d.fleetSummary.totalVehicles, b.count.vehicles, 'fleetSummary counts B\'s vehicles') }),
    featureFlags: own('switches of the caller\'s organization'),
    maintenanceMode: own('the caller\'s organization\'s read-only switch'),
    fleetPositions: own('the latest fixes of the caller\'s fleet', {
      probes: () => [{ bbox: { south: 39, north: 41, west: -84, east: -82 } }],
      check: (t, d, { b }) => t.equal(d.fleetPositions.length, b.state.fleetPositions.length, 'fleetPositions: only B\'s vehicles')
    }),
    trips: ids({ check: (t, d, { b }) => t.equal(d.trips.totalCount, b.state.trips.totalCount, 'trips: only B\'s') }),
    trip: ids(),
    geofences: own('a list without id arguments', { check: (t, d, { b }) => t.equal(d.geofences.totalCount, b.state.geofences.totalCount, 'geofences: only B\'s') }),
    geofence: ids(),
    geofenceEvents: ids({ check: (t, d, { b }) => t.equal(d.geofenceEvents.totalCount, b.state.geofenceEvents.totalCount, 'geofence events: only B\'s') }),
    alerts: ids({ check: (t, d, { b }) => t.equal(d.alerts.totalCount, b.state.alerts.totalCount, 'alerts: only B\'s') }),
    alert: ids()
  },
  Mutation: {
    login: open('email and password, no ids'),
    refreshSession: open('a refresh token, no ids'),
    logout: open('a refresh token, no ids'),
    changePassword: open('the caller\'s own password, no ids'),
    createUser: ids({ args: () => ({ input: { email: 'isolation-new@other.example', name: 'Isolation', role: 'VIEWER' } }) }),
    updateUser: ids({ args: () => TAKE_OVER }),
    deactivateUser: ids(),
    reactivateUser: ids(),
    resetUserPassword: ids(),
    updateOrganizationSettings: own('changes the caller\'s organization', { args: ({ b }) => ({ input: { expectedVersion: b.organization.version, vinCheckDigitRequired: false } }) }),
    createVehicle: ids({ args: () => ({ input: { number: 'ISO-1', vin: VALID_VIN, year: 2024 } }) }),
    updateVehicle: ids({ args: () => TAKE_OVER }),
    retireVehicle: ids(),
    createDriver: own('creates in the caller\'s organization'),
    updateDriver: ids({ args: () => TAKE_OVER }),
    createFacility: own('creates in the caller\'s organization', { args: () => ({ input: { code: 'ISO-1' } }) }),
    updateFacility: ids({ args: () => TAKE_OVER }),
    assignDriver: ids(),
    endAssignment: ids(),
    cancelAssignment: ids(),
    setFeatureFlag: own('switches a flag of the caller\'s organization', { args: () => ({ name: 'fleet-summary', enabled: false }) }),
    setMaintenanceMode: own('pauses the caller\'s organization\'s writes', { args: () => ({ enabled: true }), last: true }),
    reportClientError: open('an error report, no tenant data'),
    recordPositions: ids({
      // A fix the pipeline would store, but for A's vehicle: rejected as an unknown vehicle, in the payload.
      rewrite: (args) => ({ input: (args.input as Args[]).map((fix) => ({ ...fix, recordedAt: new Date(Date.now() - 60_000).toISOString() })) }),
      rejects: (t, d, label) => t.match(d?.recordPositions, { accepted: 0, duplicates: 0 }, `${label}: nothing stored (test/telematics.test.ts shows the UNKNOWN_VEHICLE rejection)`)
    }),
    issueDeviceToken: ids(),
    revokeDeviceToken: ids(),
    createGeofence: ids({ args: () => ({ input: { name: 'Isolation fence', shape: 'CIRCLE', center: { latitude: 1, longitude: 1 }, radius: 100 } }) }),
    updateGeofence: ids({ args: () => TAKE_OVER }),
    deleteGeofence: ids(),
    acknowledgeAlert: ids(),
    resolveAlert: ids()
  },
  Subscription: {
    vehicleChanged: {
      kind: 'event',
      trigger: async ({ A, a }) => {
        const { vehicle } = await A<any>('query ($id: ID!) { vehicle(id: $id) { version } }', { id: a.samples.vehicle[0]?.id })
        await A('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: "Isolation event" }) { id } }', { id: a.samples.vehicle[0]?.id, v: vehicle.version })
      }
    },
    vehiclePositionUpdated: {
      kind: 'event',
      trigger: async ({ A, a }) => {
        await A('mutation ($input: [PositionInput!]!) { recordPositions(input: $input) { accepted } }', {
          input: [{ vehicleId: a.samples.vehicle[0]?.id, recordedAt: new Date(Date.now() - 1000).toISOString(), latitude: 40, longitude: -83 }]
        })
      }
    },
    alertRaised: {
      kind: 'event',
      // Speeding: 100 km/h for 40 s where the limit is 10 raises an alert.
      trigger: async ({ A, a }) => {
        const { vehicle } = await A<any>('query ($id: ID!) { vehicle(id: $id) { version } }', { id: a.samples.vehicle[0]?.id })
        await A('mutation ($id: ID!, $v: Int!) { updateVehicle(id: $id, input: { expectedVersion: $v, speedLimit: 10 }) { id } }', { id: a.samples.vehicle[0]?.id, v: vehicle.version })
        const at = (secondsAgo: number): string => new Date(Date.now() - secondsAgo * 1000).toISOString()
        await A('mutation ($input: [PositionInput!]!) { recordPositions(input: $input) { accepted } }', {
          input: [50, 30, 10].map((ago, i) => ({ vehicleId: a.samples.vehicle[0]?.id, recordedAt: at(ago), latitude: 40 + i * 0.005, longitude: -83, speed: 100 }))
        })
      }
    }
  }
}

const ENTITIES = ['vehicle', 'driver', 'facility', 'assignment', 'organization', 'user', 'geofence', 'trip', 'alert'] as const
type Entity = typeof ENTITIES[number]
/** ID arguments whose name says no entity: what to attack them with. */
const GENERIC_IDS: Record<string, Entity> = { entityId: 'vehicle', actorId: 'user' }

/**
 * Which entity an ID position refers to: by the argument's name (`vehicleId`, `driverIds`,
 * `driver`) or, for a root field's own `id`, by the one entity its name mentions (`vehicle`,
 * `updateVehicle`, `endAssignment`).
 */
function entityOf (field: string, path: readonly string[]): Entity {
  const name = path.at(-1) ?? ''
  const byName = ENTITIES.find((e) => name === e || name === `${e}Id` || name === `${e}Ids`) ?? GENERIC_IDS[name]
  if (byName !== undefined) return byName
  const mentioned = ENTITIES.filter((e) => field.toLowerCase().includes(e))
  if (name === 'id' && path.length === 1 && mentioned.length === 1) return mentioned[0] as Entity
  throw new Error(`cannot tell which entity ${field}(${pathName(path)}) refers to: teach entityOf() in test/isolation.test.ts`)
}

/** What is wrong with a root field's entry in PLAN, if anything. */
function planProblem ({ root, name, field }: RootField): string | null {
  const plan = PLAN[root][name]
  const where = `${root}.${name}`
  if (plan === undefined) {
    return `${where} is not covered by the tenant isolation test: add it to PLAN at the top of test/isolation.test.ts ` +
      '(ids() when it takes ids of organization data, own()/open() with a reason when it takes none)'
  }
  const slots = idSlots(field).map((s) => pathName(s.path))
  try {
    for (const slot of idSlots(field)) entityOf(name, slot.path)
  } catch (err) {
    return (err as Error).message
  }
  if (root === 'Subscription') return plan.kind === 'event' ? null : `${where}: a subscription needs an event plan in PLAN`
  if (plan.kind === 'event') return `${where}: only subscriptions have an event plan`
  if (plan.kind === 'ids' && slots.length === 0) return `${where} is planned as ids() but takes no ID: reclassify it in PLAN`
  if (plan.kind !== 'ids' && slots.length > 0) return `${where} takes ids now (${slots.join(', ')}): make it ids() in PLAN`
  return null
}

// ---- The two organizations, as their admins see them. ----

const STATE = `{
  me { id name email version organization { id name slug version settings { vinCheckDigitRequired } } }
  users(first: 50) { totalCount nodes { id email name role active mustChangePassword version updatedAt } }
  vehicles(first: 200) { totalCount nodes { id number name vin licensePlate status version updatedAt facility { id } } }
  drivers(first: 200) { totalCount nodes { id name email licenseNumber status version updatedAt } }
  facilities(first: 200) { totalCount nodes { id code name version updatedAt } }
  assignments(first: 200) { totalCount nodes { id startsAt endsAt isCurrent version updatedAt vehicle { id } driver { id } } }
  fleetSummary { totalVehicles activeDrivers vehiclesByStatus { status count } }
  featureFlags { name enabled scope } maintenanceMode { enabled }
  fleetPositions { vehicle { id } position { recordedAt latitude longitude } }
  trips(first: 60) { totalCount nodes { id endedAt distance } }
  geofences(first: 20) { totalCount nodes { id name version updatedAt } }
  geofenceEvents(first: 60) { totalCount nodes { id } }
  alerts(first: 60) { totalCount nodes { id status version } }
}`

interface Sample { id: string, version: number, what?: string }
type Fetch = ReturnType<typeof dataFetcher>
interface Org {
  /** Ids to attack with (A) or to fill other required ID positions with (B: the first). */
  samples: Record<Entity, Sample[]>
  organization: Sample
  /** ACTIVE vehicles and drivers with no current or coming assignment. */
  free: { vehicles: Sample[], drivers: Sample[] }
  vehicle: { number: string, vin: string }
  driver: { licenseNumber: string, email: string }
  count: { vehicles: number, drivers: number, facilities: number, assignments: number }
  state: any
}
interface Ctx { a: Org, b: Org, A: Fetch }

/** The whole of an organization that a B call could change, without what moves with the clock. */
async function snapshot (fetch: Fetch): Promise<unknown> {
  const state = await fetch<any>(STATE)
  for (const list of ['users', 'vehicles', 'drivers', 'facilities', 'assignments', 'trips', 'geofences', 'geofenceEvents', 'alerts']) state[list].nodes.sort((x: Sample, y: Sample) => x.id.localeCompare(y.id))
  for (const node of state.assignments.nodes) delete node.isCurrent
  return state
}

async function organization (fetch: Fetch): Promise<Org> {
  const state = await fetch<any>(STATE)
  for (const list of ['vehicles', 'drivers', 'facilities', 'assignments', 'trips', 'geofences', 'geofenceEvents', 'alerts']) {
    if (state[list].nodes.length < state[list].totalCount) throw new Error(`more ${list} than one page holds: page through them in organization()`)
  }
  const busy = new Set<string>()
  for (const x of state.assignments.nodes) {
    if (x.endsAt === null || Date.parse(x.endsAt) > Date.now()) busy.add(x.vehicle.id).add(x.driver.id)
  }
  const free = (nodes: any[]): Sample[] => nodes.filter((n) => n.status === 'ACTIVE' && !busy.has(n.id))
  const freeVehicles = free(state.vehicles.nodes)
  const freeDrivers = free(state.drivers.nodes)
  const assignments = state.assignments.nodes
  const current = assignments.filter((x: any) => x.isCurrent)
  const upcoming = assignments.filter((x: any) => Date.parse(x.startsAt) > Date.now())
  const pick = (...nodes: Array<[string, Sample | undefined]>): Sample[] => nodes
    .filter((entry): entry is [string, Sample] => entry[1] !== undefined)
    .filter(([, node], i, all) => all.findIndex(([, other]) => other.id === node.id) === i)
    .map(([what, { id, version }]) => ({ id, version, what }))
  const org = state.me.organization
  return {
    samples: {
      vehicle: pick(['free vehicle', freeVehicles[0] ?? state.vehicles.nodes[0]]),
      driver: pick(['free driver', freeDrivers[0] ?? state.drivers.nodes[0]]),
      facility: pick(['facility', state.facilities.nodes[0]]),
      assignment: pick(['current assignment', current[0] ?? assignments[0]], ['upcoming assignment', upcoming[0]]),
      organization: [{ id: org.id, version: org.version }],
      user: [{ id: state.me.id, version: state.me.version }],
      geofence: pick(['geofence', state.geofences.nodes[0]]),
      trip: pick(['trip', state.trips.nodes[0]]),
      alert: pick(['open alert', state.alerts.nodes.find((x: any) => x.status === 'OPEN')])
    },
    organization: { id: org.id, version: org.version },
    free: { vehicles: freeVehicles, drivers: freeDrivers },
    vehicle: state.vehicles.nodes[0],
    driver: state.drivers.nodes[0],
    count: {
      vehicles: state.vehicles.totalCount, drivers: state.drivers.totalCount, facilities: state.facilities.totalCount, assignments: state.assignments.totalCount
    },
    state
  }
}

/** What identifies A in a JSON text: its ids, numbers, VINs, plates, names, emails and licences (minus any B shares). */
function identifiers (a: Org, b: Org): string[] {
  const s = a.state
  const all = [
    s.me.id, s.me.name, s.me.email, s.me.organization.id, s.me.organization.name,
    ...s.users.nodes.flatMap((u: any) => [u.id, u.email]),
    ...s.vehicles.nodes.flatMap((v: any) => [v.id, v.number, v.vin, v.licensePlate]),
    ...s.drivers.nodes.flatMap((d: any) => [d.id, d.name, d.email, d.licenseNumber]),
    ...s.facilities.nodes.flatMap((f: any) => [f.id, f.name]),
    ...s.assignments.nodes.map((x: any) => x.id),
    ...['trips', 'geofences', 'geofenceEvents', 'alerts'].flatMap((list) => s[list].nodes.map((x: any) => x.id))
  ].filter((v): v is string => typeof v === 'string' && v.length >= 4)
  const theirs = JSON.stringify(b.state)
  return [...new Set(all)].filter((v) => !theirs.includes(v))
}

const refusedByRole = (r: GraphQLResponse): boolean => r.errors?.length === 1 && r.errors[0]?.extensions.code === 'FORBIDDEN'
const outcome = (r: GraphQLResponse): unknown => ({ data: r.data, errors: r.errors?.map((e) => ({ code: e.extensions.code, field: e.extensions.field ?? null })) })
const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

void t.test('tenant isolation: every root field, called by organization other with the ids of demo', { timeout: 120_000 }, async (t) => {
  const fields = rootFields(loadSchema().schema)
  const classified = fields.filter((rf) => planProblem(rf) === null)
  const of = (root: RootKind, kind: Plan['kind']): RootField[] => classified.filter((rf) => rf.root === root && PLAN[root][rf.name]?.kind === kind)

  await t.test('every root field of the schema is classified', async (t) => {
    for (const rf of fields) {
      const problem = planProblem(rf)
      if (problem === null) t.pass(`${rf.root}.${rf.name} is classified`)
      else t.fail(problem)
    }
    const known = new Set(fields.map((rf) => `${rf.root}.${rf.name}`))
    for (const root of ['Query', 'Mutation', 'Subscription'] as const) {
      for (const name of Object.keys(PLAN[root])) t.ok(known.has(`${root}.${name}`), `PLAN's ${root}.${name} is in the schema (remove it from PLAN otherwise)`)
    }
  })

  // Events of `other` made by other test files on a shared Redis would reach B's subscriber.
  const redis = process.env.REDIS_URL === undefined ? undefined : await privateRedis(t)
  const { app, gql, login } = await buildTestApp(t, redis === undefined ? {} : { env: { REDIS_URL: redis.url } })
  const token = { aAdmin: await login('admin@fleet.example'), bAdmin: await login('admin@other.example'), bViewer: await login('viewer@other.example') }
  const A = dataFetcher(gql, token.aAdmin)

  // An assignment of A that has not started (cancelAssignment's target), on a free vehicle and driver other than the samples.
  const before = await organization(A)
  const rowsOf = (o: Org): string[] => ['vehicles', 'drivers', 'facilities', 'assignments'].flatMap((list) => o.state[list].nodes.map((n: Sample) => n.id))
  const B = dataFetcher(gql, token.bAdmin)
  const theirRows = new Set(rowsOf(await organization(B)))
  t.same(rowsOf(before).filter((id) => theirRows.has(id)), [], 'the lists of A and B share no row')
  await A('mutation ($input: AssignDriverInput!) { assignDriver(input: $input) { id } }', {
    input: { vehicleId: before.free.vehicles[1]?.id, driverId: before.free.drivers[1]?.id, startsAt: new Date(Date.now() + 2 * 86_400_000).toISOString(), endsAt: new Date(Date.now() + 3 * 86_400_000).toISOString() }
  })
  const c: Ctx = { a: await organization(A), b: await organization(B), A }
  const forbidden = identifiers(c.a, c.b)
  t.ok(c.a.samples.assignment.length === 2 && forbidden.length > 200, 'A has a current and an upcoming assignment, and plenty to recognise it by')

  /** Calls as B and asserts that nothing identifying A came back (except what B itself sent). */
  const asB = async (t: Test, label: string, query: string, variables: Args, as: string): Promise<GraphQLResponse<Record<string, any>>> => {
    const response = await gql(query, variables, as)
    const sent = JSON.stringify(variables)
    const text = JSON.stringify({ data: response.data, errors: response.errors })
    t.same(forbidden.filter((v) => text.includes(v) && !sent.includes(v)), [], `${label}: nothing of A in the answer`)
    return response
  }

  /** The arguments of one attempt: `value` in `slot`, B's own ids in other required ID positions, versions of whatever `id` holds. */
  const attemptArgs = (rf: RootField, plan: Extract<Plan, { kind: 'ids' }>, slot: IdSlot, value: Sample): Args => {
    const slots = idSlots(rf.field)
    const required = new Set(slots.filter((s) => s.required).map((s) => pathName(s.path)))
    const target = pathName(slot.path) === 'id' ? value : slots.some((s) => pathName(s.path) === 'id') ? c.b.samples[entityOf(rf.name, ['id'])][0] : undefined
    const fill: Filler = (path, type) => {
      const key = pathName(path)
      if (key === pathName(slot.path)) return value.id
      if (type.name === 'ID') return required.has(key) ? c.b.samples[entityOf(rf.name, path)][0]?.id : undefined
      return path.at(-1) === 'expectedVersion' ? target?.version : undefined
    }
    const args = merge(buildArgs(rf.field, fill), plan.args?.(c) ?? {})
    return plan.rewrite?.(args) ?? args
  }

  await t.test('queries: a foreign id finds nothing, as an unknown one; lists hold only B', async (t) => {
    for (const rf of [...of('Query', 'ids'), ...of('Query', 'own')]) {
      const plan = PLAN.Query[rf.name] as Extract<Plan, { kind: 'ids' | 'own' }>
      const slots = idSlots(rf.field)
      for (const [who, as] of [['admin', token.bAdmin], ['viewer', token.bViewer]] as const) {
        if (!slots.some((s) => s.required)) {
          const args = merge(buildArgs(rf.field, () => undefined), plan.args?.(c) ?? {})
          const plain = await asB(t, `${rf.name} as B's ${who}`, operationFor(rf, args), args, as)
          if (plain.data !== null) plan.check?.(t, plain.data, c)
          for (const probe of plan.probes?.(c) ?? []) {
            const label = `${rf.name}(${JSON.stringify(probe)}) as B's ${who}`
            const found = await asB(t, label, operationFor(rf, probe), probe, as)
            if (refusedByRole(found)) t.equal(who, 'viewer', `${label}: refused by role`)
            else t.same(found.data?.[rf.name], isConnection(rf.field.type) ? { totalCount: 0, nodes: [] } : [], `${label}: nothing`)
          }
        }
        if (plan.kind !== 'ids') continue
        for (const slot of slots) {
          const entity = entityOf(rf.name, slot.path)
          for (const sample of c.a.samples[entity]) {
            const label = `${rf.name}(${pathName(slot.path)}: A's ${sample.what ?? entity}) as B's ${who}`
            const args = attemptArgs(rf, plan, slot, sample)
            const foreign = await asB(t, label, operationFor(rf, args), args, as)
            const unknownArgs = attemptArgs(rf, plan, slot, { id: randomUUID(), version: sample.version })
            const unknown = await gql(operationFor(rf, unknownArgs), unknownArgs, as)
            t.same(outcome(foreign), outcome(unknown), `${label}: the same answer as for an unknown id`)
            if (refusedByRole(foreign)) t.equal(who, 'viewer', `${label}: refused by role, before any id is looked at`)
            else if (isConnection(rf.field.type)) t.same(foreign.data?.[rf.name], { totalCount: 0, nodes: [] }, `${label}: an empty list`)
            else t.equal(foreign.data?.[rf.name], null, `${label}: null`)
          }
          const ownSample = c.b.samples[entity][0]
          if (!isConnection(rf.field.type) && ownSample !== undefined) {
            const mineArgs = attemptArgs(rf, plan, slot, ownSample)
            const mine = await gql(operationFor(rf, mineArgs), mineArgs, as)
            if (refusedByRole(mine)) t.equal(who, 'viewer', `${rf.name} is not for B's viewer at all`)
            else t.not(mine.data?.[rf.name] ?? null, null, `${rf.name} with B's own ${entity} as B's ${who} does find it (the attack above is sharp)`)
          }
        }
      }
    }
  })

  await t.test('mutations: a foreign id is refused as an unknown one, and A does not change', async (t) => {
    for (const rf of of('Mutation', 'ids')) {
      const plan = PLAN.Mutation[rf.name] as Extract<Plan, { kind: 'ids' }>
      const start = await snapshot(A)
      for (const slot of idSlots(rf.field)) {
        const entity = entityOf(rf.name, slot.path)
        for (const sample of c.a.samples[entity]) {
          const label = `${rf.name}(${pathName(slot.path)}: A's ${sample.what ?? entity})`
          const args = attemptArgs(rf, plan, slot, sample)
          const foreign = await asB(t, label, operationFor(rf, args), args, token.bAdmin)
          const unknownArgs = attemptArgs(rf, plan, slot, { id: randomUUID(), version: sample.version })
          const unknown = await gql(operationFor(rf, unknownArgs), unknownArgs, token.bAdmin)
          t.same(outcome(foreign), outcome(unknown), `${label}: the same answer as for an unknown id`)
          if (plan.rejects !== undefined) {
            plan.rejects(t, foreign.data, label)
            continue
          }
          const error = foreign.errors?.[0]?.extensions
          t.ok(foreign.errors?.length === 1 && (error?.code === 'NOT_FOUND' || (error?.code === 'BAD_USER_INPUT' && error.field === pathName(slot.path))),
            `${label}: NOT_FOUND, or BAD_USER_INPUT naming ${pathName(slot.path)} (got ${JSON.stringify(outcome(foreign))})`)
        }
      }
      t.same(await snapshot(A), start, `${rf.name}: A unchanged`)
    }
    // After the id attacks (B's own calls may pause B's writes), and those marked `last` at the end.
    const last = (rf: RootField): number => (PLAN.Mutation[rf.name] as { last?: boolean }).last === true ? 1 : 0
    for (const rf of of('Mutation', 'own').sort((x, y) => last(x) - last(y))) {
      const plan = PLAN.Mutation[rf.name] as Extract<Plan, { kind: 'own' }>
      const start = await snapshot(A)
      const args = merge(buildArgs(rf.field, () => undefined), plan.args?.(c) ?? {})
      const mine = await asB(t, `${rf.name} as B's admin`, operationFor(rf, args), args, token.bAdmin)
      t.equal(mine.errors, undefined, `${rf.name} by B succeeds for B (so that A unchanged means something)`)
      t.same(await snapshot(A), start, `${rf.name} by B: A unchanged`)
    }
  })

  await t.test('subscriptions: B receives none of A\'s events', async (t) => {
    const base = await app.listen({ host: '127.0.0.1', port: 0 })
    const url = `${base.replace('http', 'ws')}/graphql`
    for (const rf of of('Subscription', 'event')) {
      const args = buildArgs(rf.field, (path, type) => type.name === 'ID' ? c.a.samples[entityOf(rf.name, path)][0]?.id : undefined)
      const query = operationFor(rf, args, true)
      const listen = async (as: string): Promise<SubscriptionClient> => {
        const client = await subscribe(t, url, `Bearer ${as}`, query)
        if ('refused' in client) throw new Error(`${rf.name}: connection refused (${client.refused})`)
        return client
      }
      const [ofA, ofB, viewerOfB] = [await listen(token.aAdmin), await listen(token.bAdmin), await listen(token.bViewer)]
      await (PLAN.Subscription[rf.name] as Extract<Plan, { kind: 'event' }>).trigger(c)
      await ofA.waitFor(1)
      await sleep(500)
      t.ok(ofA.events.length >= 1, `${rf.name}: A's subscriber got A's event`)
      t.same(ofB.events, [], `${rf.name}: B's admin got nothing`)
      t.same(viewerOfB.events, [], `${rf.name}: B's viewer got nothing`)
      for (const client of [ofA, ofB, viewerOfB]) client.close()
    }
  })

  const count = (root: RootKind, kinds: Array<Plan['kind']>): number => classified.filter((rf) => rf.root === root && kinds.includes(PLAN[root][rf.name]?.kind ?? 'open')).length
  t.comment(`root fields attacked: ${count('Query', ['ids', 'own'])} queries, ${count('Mutation', ['ids', 'own'])} mutations, ${count('Subscription', ['event'])} subscriptions ` +
    `(with A's ids: ${count('Query', ['ids'])} queries, ${count('Mutation', ['ids'])} mutations; not attacked, no tenant data: ${classified.filter((rf) => PLAN[rf.root][rf.name]?.kind === 'open').map((rf) => rf.name).join(', ')})`)
})
