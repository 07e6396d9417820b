import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { Role } from '../src/database/schema.js'
import { loadSchema } from '../src/graphql/schema.js'
import type { Access } from '../src/modules/identity/permissions.js'
import { DRIVER_OWN_ROWS, permissions } from '../src/modules/index.js'
import { buildTestApp, codes, type GraphQLResponse } from './helpers/app.js'
import { dataFetcher, ok } from './helpers/graphql.js'
import { loadTestPlans } from './helpers/plans/index.js'
import { buildArgs, merge, operationFor, rootFields } from './helpers/schema-walk.js'
import { type SubscriptionClient, subscribe } from './helpers/websocket.js'

// Roles, proven against the matrix rather than assumed. Every root query and mutation of the
// schema (read from schema/*.graphql, so new ones are covered) is called by every role and by an
// anonymous caller, with arguments that get past the access check but change nothing (unknown ids,
// invalid input): a role the matrix denies must get FORBIDDEN (anonymous: UNAUTHENTICATED), a role
// it allows must never. Then the fields below the roots that the matrix guards, and the rows a
// DRIVER may see (its own driver record, assignments and current vehicle). The harmless
// arguments, and how to reach the guarded fields, are the modules' own: the `roles` part of
// src/modules/<name>/test-plan.ts (test/helpers/plans/).

const ROLES: Role[] = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'MECHANIC', 'DRIVER', 'VIEWER']
const matrix = permissions as Record<string, Record<string, Access>>
const allows = (access: Access, role: Role): boolean => access === 'public' || access === 'authenticated' || access.includes(role)
const emailOf = (role: Role): string => `${role.toLowerCase()}@fleet.example`
/** What the access layer refused with; a public field (login) answers UNAUTHENTICATED for bad credentials itself. */
const refusals = (r: GraphQLResponse, access: Access): string[] =>
  codes(r).filter((code) => code === 'FORBIDDEN' || (code === 'UNAUTHENTICATED' && access !== 'public'))

const plans = await loadTestPlans()
const HARMLESS = plans.roles.harmless

void t.test('every root query and mutation answers each role as the matrix says', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const tokens = Object.fromEntries(await Promise.all(ROLES.map(async (role) => [role, await login(emailOf(role))] as const))) as Record<Role, string>
  const fields = rootFields(loadSchema().schema).filter((rf) => rf.root !== 'Subscription')
  let calls = 0
  for (const rf of fields) {
    const access = matrix[rf.root]?.[rf.name]
    if (access === undefined) {
      t.fail(`${rf.root}.${rf.name} has no entry in the permission matrix`)
      continue
    }
    const args = merge(buildArgs(rf.field, (path, type) => type.name === 'ID' ? randomUUID() : undefined), HARMLESS[rf.name] ?? {})
    const query = operationFor(rf, args)
    for (const role of ROLES) {
      const response = await gql(query, args, tokens[role])
      calls++
      t.not(response.status, 500, `${rf.name} as ${role}: no 500`)
      if (allows(access, role)) t.same(refusals(response, access), [], `${rf.root}.${rf.name}: ${role} may`)
      else t.same(codes(response), ['FORBIDDEN'], `${rf.root}.${rf.name}: ${role} may not`)
    }
    const anonymous = await gql(query, args)
    calls++
    if (access === 'public') t.same(refusals(anonymous, access), [], `${rf.root}.${rf.name}: anonymous callers may`)
    else t.same(codes(anonymous), ['UNAUTHENTICATED'], `${rf.root}.${rf.name}: anonymous callers may not`)
  }
  t.comment(`${fields.length} root fields x ${ROLES.length + 1} callers: ${calls} calls`)
  // Everyone is still who they were: no call above changed a user or paused writes.
  for (const role of ROLES) t.equal(ok(await gql<{ me: { role: string } }>('{ me { role } }', {}, tokens[role])).me.role, role, `${role} unchanged`)
})

void t.test('guarded fields below the roots answer each role as the matrix says', async (t) => {
  const { gql, login } = await buildTestApp(t)
  for (const [type, fields] of Object.entries(matrix).filter(([type]) => !['Query', 'Mutation', 'Subscription'].includes(type))) {
    const reach = plans.roles.reach[type]
    if (reach === undefined) {
      t.fail(`the matrix guards fields of ${type}: add roles.reach.${type}, how to get there, to the test-plan.ts of the module that defines ${type}`)
      continue
    }
    for (const [field, access] of Object.entries(fields)) {
      const query = reach(plans.roles.select[`${type}.${field}`] ?? `${field} { id }`)
      for (const role of ROLES) {
        const response = await gql(query, {}, await login(emailOf(role)))
        if (allows(access, role)) {
          t.same(codes(response), [], `${type}.${field}: ${role} reads it`)
        } else {
          t.same(codes(response), ['FORBIDDEN'], `${type}.${field}: ${role} may not`)
          t.equal(response.errors?.[0]?.path?.at(-1), field, `${type}.${field}: the error is on the field`)
        }
      }
    }
  }
})

void t.test('a DRIVER sees its own driver record, assignments and current vehicle, and nothing else', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const manager = dataFetcher(gql, await login('fleet_manager@fleet.example'))
  const driverToken = await login('driver@fleet.example')
  const asDriver = dataFetcher(gql, driverToken)

  const { me } = await asDriver<any>('{ me { role driver { id name currentVehicle { id number facility { code } } currentAssignment { id } } } }')
  t.equal(me.role, 'DRIVER')
  t.ok(me.driver?.currentVehicle?.id, 'the demo driver is linked to a driver record with a current vehicle')
  t.ok(me.driver.currentVehicle.facility.code, 'its vehicle\'s facility is part of its vehicle\'s data')
  const own = { driver: me.driver.id as string, vehicle: me.driver.currentVehicle.id as string, assignment: me.driver.currentAssignment.id as string }

  const fleet = await manager<any>('{ vehicles(first: 5) { nodes { id } } drivers(first: 5) { nodes { id } } assignments(first: 50) { totalCount nodes { id driver { id } } } }')
  const otherVehicle = fleet.vehicles.nodes.find((v: { id: string }) => v.id !== own.vehicle).id
  const otherDriver = fleet.drivers.nodes.find((d: { id: string }) => d.id !== own.driver).id
  const otherAssignment = fleet.assignments.nodes.find((a: any) => a.driver.id !== own.driver).id
  const ownAssignments = (await manager<any>('query ($d: ID!) { assignments(filter: { driverId: $d }) { totalCount } }', { d: own.driver })).assignments.totalCount

  const seen = await asDriver<any>(`{
    vehicles(first: 200) { totalCount nodes { id } }
    drivers(first: 200) { totalCount nodes { id } }
    assignments(first: 200) { totalCount nodes { driver { id } } }
  }`)
  t.same(seen.vehicles, { totalCount: 1, nodes: [{ id: own.vehicle }] }, 'vehicles: its current vehicle only')
  t.same(seen.drivers, { totalCount: 1, nodes: [{ id: own.driver }] }, 'drivers: itself only')
  t.equal(seen.assignments.totalCount, ownAssignments, 'assignments: all of its own')
  t.ok(seen.assignments.nodes.every((a: any) => a.driver.id === own.driver), 'assignments: none of anyone else')
  const probe = await asDriver<any>(`query ($v: ID!, $ov: ID!, $d: ID!, $od: ID!, $a: ID!, $oa: ID!) {
    mine: vehicle(id: $v) { id } otherVehicle: vehicle(id: $ov) { id }
    me: driver(id: $d) { id } otherDriver: driver(id: $od) { id }
    myAssignment: assignment(id: $a) { id } otherAssignment: assignment(id: $oa) { id }
    searched: vehicles(filter: { search: "V-0" }) { totalCount }
    otherDriversAssignments: assignments(filter: { driverId: $od }) { totalCount }
  }`, { v: own.vehicle, ov: otherVehicle, d: own.driver, od: otherDriver, a: own.assignment, oa: otherAssignment })
  t.same(probe, {
    mine: { id: own.vehicle },
    otherVehicle: null,
    me: { id: own.driver },
    otherDriver: null,
    myAssignment: { id: own.assignment },
    otherAssignment: null,
    searched: { totalCount: 1 },
    otherDriversAssignments: { totalCount: 0 }
  }, 'another vehicle, driver or assignment is not found, exactly like an unknown id')

  // Once its assignment ends, the vehicle is no longer its own: at once.
  const now = await manager<any>('query ($id: ID!) { assignment(id: $id) { startsAt } }', { id: own.assignment })
  t.ok(Date.parse(now.assignment.startsAt) < Date.now())
  await manager('mutation ($id: ID!) { endAssignment(id: $id) { id } }', { id: own.assignment })
  const after = await asDriver<any>('query ($v: ID!) { vehicle(id: $v) { id } vehicles { totalCount } me { driver { currentVehicle { id } } } }', { v: own.vehicle })
  t.same(after, { vehicle: null, vehicles: { totalCount: 0 }, me: { driver: { currentVehicle: null } } }, 'no current assignment: no vehicle')

  // The vehicle goes to another driver and moves. Reached through the driver's own (now past)
  // assignment, it is still named, but where it is and who drives it are not the driver's to know.
  const free = (await manager<any>('{ drivers(first: 200) { nodes { id currentAssignment { id } } } }')).drivers.nodes
    .find((d: any) => d.id !== own.driver && d.currentAssignment === null).id as string
  await manager('mutation ($v: ID!, $d: ID!, $until: DateTime!) { assignDriver(input: { vehicleId: $v, driverId: $d, endsAt: $until }) { id } }', { v: own.vehicle, d: free, until: new Date(Date.now() + 3_600_000).toISOString() })
  await manager('mutation ($input: [PositionInput!]!) { recordPositions(input: $input) { accepted } }', { input: [{ vehicleId: own.vehicle, latitude: 40, longitude: -83, recordedAt: new Date(Date.now() - 1000).toISOString() }] })
  const reveal = '{ id lastPosition { latitude } currentDriver { id } currentAssignment { id } }'
  t.match((await manager<any>(`query ($v: ID!) { vehicle(id: $v) ${reveal} }`, { v: own.vehicle })).vehicle, { lastPosition: { latitude: 40 }, currentDriver: { id: free } }, 'the manager sees both')
  const nested = await asDriver<any>(`{ me { driver { assignments(first: 50) { nodes { vehicle ${reveal} } } } } assignments(first: 50) { nodes { vehicle ${reveal} } } }`)
  const reached = [...nested.me.driver.assignments.nodes, ...nested.assignments.nodes].map((a: any) => a.vehicle)
  t.ok(reached.some((v: any) => v.id === own.vehicle), 'the former vehicle is reached through the past assignment')
  t.same(reached.filter((v: any) => v.lastPosition !== null || v.currentDriver !== null || v.currentAssignment !== null), [], 'no position, driver or assignment of a vehicle that is not the driver\'s now')
})

void t.test('a DRIVER linked to no driver record sees no fleet rows at all', async (t) => {
  const { gql, login } = await buildTestApp(t)
  const admin = dataFetcher(gql, await login('admin@fleet.example'))
  const { users } = await admin<any>('{ users(filter: { role: [DRIVER] }) { nodes { id version } } }')
  const driverUser = users.nodes[0]
  const driverToken = await login('driver@fleet.example')
  await admin('mutation ($id: ID!, $v: Int!) { updateUser(id: $id, input: { expectedVersion: $v, driverId: null }) { id } }', { id: driverUser.id, v: driverUser.version })
  const seen = await dataFetcher(gql, driverToken)<any>('{ me { driver { id } } vehicles { totalCount } drivers { totalCount } assignments { totalCount } }')
  t.same(seen, { me: { driver: null }, vehicles: { totalCount: 0 }, drivers: { totalCount: 0 }, assignments: { totalCount: 0 } }, 'the same token, unlinked: nothing')
})

void t.test('vehicleChanged: a DRIVER hears only of its own vehicle, others of the whole fleet', async (t) => {
  const { app, gql, login } = await buildTestApp(t)
  const manager = dataFetcher(gql, await login('fleet_manager@fleet.example'))
  const driverToken = await login('driver@fleet.example')
  const { me } = await dataFetcher(gql, driverToken)<any>('{ me { driver { currentVehicle { id } } } }')
  const ownVehicle = me.driver.currentVehicle.id as string
  const { vehicles } = await manager<any>('{ vehicles(first: 3) { nodes { id version } } }')
  const other = vehicles.nodes.find((v: { id: string }) => v.id !== ownVehicle)
  const own = await manager<any>('query ($id: ID!) { vehicle(id: $id) { id version } }', { id: ownVehicle })

  const url = `${(await app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws')}/graphql`
  const listen = async (token: string): Promise<SubscriptionClient> => {
    const client = await subscribe(t, url, `Bearer ${token}`, 'subscription { vehicleChanged { kind vehicle { id name } } }')
    if ('refused' in client) throw new Error(`subscription refused: ${client.refused}`)
    return client
  }
  const driver = await listen(driverToken)
  const mechanic = await listen(await login('mechanic@fleet.example'))
  const rename = 'mutation ($id: ID!, $v: Int!, $name: String!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: $name }) { id } }'
  await manager(rename, { id: other.id, v: other.version, name: 'Someone else\'s' })
  await manager(rename, { id: ownVehicle, v: own.vehicle.version, name: 'The driver\'s own' })
  await mechanic.waitFor(2)
  await driver.waitFor(1)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.same(mechanic.events.map((e) => e.data.vehicleChanged.vehicle.id), [other.id, ownVehicle], 'the mechanic hears of both')
  t.same(driver.events.map((e) => e.data.vehicleChanged.vehicle), [{ id: ownVehicle, name: 'The driver\'s own' }], 'the driver hears of its own vehicle only')
  driver.close()
  mechanic.close()
})

void t.test('DRIVER_OWN_ROWS names root fields a DRIVER may call', async (t) => {
  for (const field of DRIVER_OWN_ROWS) {
    const [root, name] = field.split('.') as [string, string]
    const access = matrix[root]?.[name]
    t.ok(access !== undefined && allows(access, 'DRIVER'), `${field}: in the matrix and open to DRIVER`)
  }
})

void t.test('a role change reaches an open subscription from its next event on', async (t) => {
  const { app, gql, login } = await buildTestApp(t)
  const admin = dataFetcher(gql, await login('admin@fleet.example'))
  const manager = dataFetcher(gql, await login('fleet_manager@fleet.example'))
  const viewerToken = await login('viewer@fleet.example')
  const { users } = await admin<any>('{ users(filter: { role: [VIEWER] }) { nodes { id version } } }')
  const viewer = users.nodes[0] as { id: string, version: number }
  const { vehicles } = await manager<any>('{ vehicles(first: 1, filter: { assigned: false, status: [ACTIVE] }) { nodes { id version } } }')
  let version = vehicles.nodes[0].version as number
  const rename = async (name: string): Promise<void> => {
    version = (await manager<any>('mutation ($id: ID!, $v: Int!, $name: String!) { updateVehicle(id: $id, input: { expectedVersion: $v, name: $name }) { version } }',
      { id: vehicles.nodes[0].id, v: version, name })).updateVehicle.version
  }
  const setRole = async (role: Role): Promise<void> => {
    viewer.version = (await admin<any>('mutation ($id: ID!, $v: Int!, $role: Role!) { updateUser(id: $id, input: { expectedVersion: $v, role: $role }) { version } }',
      { id: viewer.id, v: viewer.version, role })).updateUser.version
  }

  const url = `${(await app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws')}/graphql`
  const client = await subscribe(t, url, `Bearer ${viewerToken}`, 'subscription { vehicleChanged { vehicle { name } } }')
  if ('refused' in client) throw new Error(`subscription refused: ${client.refused}`)
  await rename('Seen as a viewer')
  await client.waitFor(1)
  // Demoted to DRIVER with no driver record: the very next event is not its own vehicle's.
  await setRole('DRIVER')
  await rename('Not for a driver')
  await setRole('VIEWER')
  await rename('Seen again')
  await client.waitFor(2)
  t.same(client.events.map((e) => e.data.vehicleChanged.vehicle.name), ['Seen as a viewer', 'Seen again'], 'the event during the demotion did not arrive')
  t.equal(client.end, null, 'the subscription is still open')
  client.close()
})
