import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import t from 'tap'
import { buildTestApp, codes } from './helpers/app.js'
import { runScript, temporaryDirectory } from './helpers/process.js'
import { applicationInsightsReceiver, sentryReceiver } from './helpers/receivers.js'

// Sentry and Application Insights, each against a local receiver that records what the real
// SDK sends. The assertions read those payloads.

const DASHBOARD = 'query Dashboard { vehicles(first: 5) { nodes { number facility { name } } } }'
const SECRETS = /fleet-demo|@fleet\.example|eyJhbGciOi|Bearer /

async function breakFacilities (app: { db: any }) {
  await sql`ALTER TABLE facilities RENAME COLUMN name TO name_gone`.execute(app.db)
}

void t.test('Sentry: unexpected errors and client reports, user errors left out, no personal data', async (t) => {
  const receiver = await sentryReceiver(t)
  const { app, gql, login } = await buildTestApp(t, { env: { SENTRY_DSN: receiver.dsn, SENTRY_ENVIRONMENT: 'ci', RELEASE: '9.9.9-test' } })
  t.same(app.telemetry.backends, ['sentry'])
  const token = await login('fleet_manager@fleet.example')
  const me = (await gql<{ me: { id: string } }>('{ me { id } }', {}, token)).data?.me.id

  t.same(codes(await gql('{ vehicle(id: "bad") { id } }', {}, token)), ['BAD_USER_INPUT'])
  t.same(codes(await gql('mutation { login(email: "admin@fleet.example", password: "wrong") { accessToken } }')), ['UNAUTHENTICATED'])
  await breakFacilities(app)
  const broken = await gql('query FacilityNames { facilities { nodes { name } } }', {}, token)
  t.same(codes(broken), ['INTERNAL_SERVER_ERROR'])
  await gql('mutation { reportClientError(input: { message: "Cannot read properties of undefined", url: "https://app.example/map", release: "web-2.1.0" }) }', {}, token)
  await app.telemetry.flush()

  const events = receiver.items.filter((item) => item.type === 'event').map((item) => item.payload)
  const exceptions = events.filter((e) => e.exception !== undefined && e.tags?.source !== 'client')
  t.equal(exceptions.length, 1, `one event for the bug; none for BAD_USER_INPUT or UNAUTHENTICATED: ${JSON.stringify(exceptions.map((e) => e.exception.values[0].value))}`)
  const bug = exceptions[0]
  t.match(bug, {
    environment: 'ci',
    release: '9.9.9-test',
    tags: { 'graphql.operation': 'FacilityNames', request_id: String },
    user: { id: me },
    exception: { values: [{ value: /name/ }] }
  })
  t.same(Object.keys(bug.user), ['id'], 'the user is an id, nothing else')
  const report = events.find((e) => e.tags?.source === 'client')
  t.match(report, { level: 'error', tags: { source: 'client' }, contexts: { client: { url: 'https://app.example/map', release: 'web-2.1.0' } } })
  t.match(report.message ?? report.logentry?.message, /UserReportedError: Cannot read properties of undefined/)
  t.notMatch(receiver.raw.join('\n'), SECRETS, 'no emails, passwords or tokens in anything sent')
})

void t.test('Application Insights: requests, SQL dependencies, traces, exceptions and UserReportedError', async (t) => {
  const receiver = await applicationInsightsReceiver(t)
  const { app, gql, login } = await buildTestApp(t, { env: { APPLICATIONINSIGHTS_CONNECTION_STRING: receiver.connectionString, LOG_LEVEL: 'warn' }, logStream: { write: () => {} } })
  t.same(app.telemetry.backends, ['applicationinsights'])
  const token = await login('fleet_manager@fleet.example')
  await gql(DASHBOARD, {}, token)
  await gql('mutation { login(email: "admin@fleet.example", password: "wrong") { accessToken } }')
  await app.inject('/health/liveness')
  await gql('mutation { reportClientError(input: { message: "Map tiles failed to load" }) }', {}, token)
  await breakFacilities(app)
  await gql('query FacilityNames { facilities { nodes { name } } }', {}, token)
  await app.telemetry.flush()

  const of = (type: string) => receiver.envelopes.filter((e) => e.data?.baseType === type).map((e) => ({ ...e.data.baseData, tags: e.tags }))
  const requests = of('RequestData')
  t.ok(requests.some((r) => r.name === 'POST /graphql Dashboard' && String(r.responseCode) === '200' && r.success === true), 'the dashboard request, named by operation')
  t.notOk(requests.some((r) => String(r.name).includes('/health')), 'probes are not requests')
  t.ok(requests.every((r) => r.tags['ai.cloud.role'] === 'fleet-api'), 'cloud role set')

  const dependencies = of('RemoteDependencyData')
  const sqlDependencies = dependencies.filter((d) => d.type === 'SQL')
  t.ok(sqlDependencies.some((d) => d.name === 'SELECT vehicles' && d.success === true && /select/i.test(d.data)), 'SQL dependencies typed "SQL" (dependencies | where type == "SQL")')
  const failed = sqlDependencies.filter((d) => d.success === false)
  t.ok(failed.some((d) => d.name === 'SELECT facilities' && d.properties?.resultCode === '42703'), 'the failing statement: success false, its SQLSTATE in customDimensions.resultCode')
  t.ok(sqlDependencies.every((d) => typeof d.target === 'string' && d.target.length > 0 && !d.target.includes('@')), 'a target, without credentials')

  const traces = of('MessageData')
  t.ok(traces.some((m) => /authentication/.test(m.message) && m.severityLevel === 'Warning'), 'failed logins as traces mentioning authentication')
  t.ok(traces.some((m) => m.severityLevel === 'Error' && /unexpected error/.test(m.message)), 'errors as Error traces')

  const exceptions = of('ExceptionData')
  t.ok(exceptions.some((e) => e.properties?.operation === 'FacilityNames'), 'the bug as an exception with its operation')
  const events = of('EventData')
  t.ok(events.some((e) => e.name === 'UserReportedError' && e.properties?.message === 'Map tiles failed to load'), 'customEvents | where name == "UserReportedError"')
  t.notMatch(JSON.stringify(receiver.envelopes), SECRETS, 'no emails, passwords or tokens in anything sent')
})

void t.test('with neither configured, neither SDK is loaded', async (t) => {
  const dir = temporaryDirectory(t)
  const probe = join(dir, 'probe.mts')
  writeFileSync(probe, `
import { registerHooks } from 'node:module'
const loaded: string[] = []
registerHooks({ resolve (specifier, context, next) { const r = next(specifier, context); loaded.push(r.url); return r } })
const { buildApp } = await import(${JSON.stringify(join(process.cwd(), 'src/app.ts'))})
const { loadConfig } = await import(${JSON.stringify(join(process.cwd(), 'src/config.ts'))})
const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', MIGRATE_ON_START: 'false' }), { database: { kind: 'postgres', url: 'postgres://127.0.0.1:1/none', pool: { max: 1, idleTimeoutMs: 100, connectionTimeoutMs: 100, statementTimeoutMs: 0 } } })
await app.ready()
console.log(JSON.stringify({ backends: app.telemetry.backends, sdks: loaded.filter((u) => /@sentry|applicationinsights|@azure/.test(u)).length, total: loaded.length }))
await app.close()
`)
  const result = await runScript(probe, [], { env: { LOG_LEVEL: 'silent' } })
  t.equal(result.code, 0, result.stderr)
  const summary = JSON.parse(result.stdout.trim().split('\n').pop() as string)
  t.same(summary.backends, [])
  t.equal(summary.sdks, 0, 'no @sentry or applicationinsights module was resolved')
  t.ok(summary.total > 50, 'the hook did see the app load')
})
