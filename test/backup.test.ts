import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { buildTestApp } from './helpers/app.js'
import { createDatabase, demoDatabase, usingPostgres } from './helpers/database.js'
import { runScript, startScript, temporaryDirectory } from './helpers/process.js'

// The runbook's backup and restore, step by step as written in docs/runbook.md: dump the
// database, restore it into a new one, check its migrations, start the service on it and read
// the data back.

const exec = promisify(execFile)

void t.test('backup, restore into a new database, serve from it', { skip: usingPostgres ? false : 'pg_dump and pg_restore need PostgreSQL', timeout: 180_000 }, async (t) => {
  const source = await demoDatabase(t)
  if (source.kind !== 'postgres') throw new Error('expected PostgreSQL')
  const { gql, login, app } = await buildTestApp(t, { database: source })
  const manager = await login('fleet_manager@fleet.example')
  const created = await gql('mutation { createFacility(input: { code: "BKP", name: "Written before the backup", type: OFFICE }) { id } }', {}, manager)
  t.equal(created.errors, undefined)
  await app.close()

  // 1. pg_dump "$DATABASE_URL" --format=custom --no-owner --enable-row-security --file=backup.dump
  //    (as the service's role, which the write policies bind: without the flag pg_dump refuses)
  const dir = temporaryDirectory(t)
  const dump = join(dir, 'backup.dump')
  await exec('pg_dump', [source.url, '--format=custom', '--no-owner', '--enable-row-security', `--file=${dump}`])

  // 2. createdb + pg_restore --no-owner --dbname="$RESTORE_URL" backup.dump
  const restored = await createDatabase(t, { fromTemplate: false })
  await exec('pg_restore', ['--no-owner', `--dbname=${restored.url}`, dump])

  // 3. npm run migrate:status -- --env=production: every migration applied, nothing pending
  const status = await runScript('src/cli/migrate.ts', ['status', '--env=production'], { env: { DATABASE_URL: restored.url } })
  t.equal(status.code, 0, status.stdout + status.stderr)
  t.match(status.stdout, /\d+ applied, 0 pending/)
  // The write policies came back with the data (pg_restore loads rows before enabling them).
  const guards = async (url: string) => (await exec('psql', [url, '-Atc', 'select count(*) filter (where relforcerowsecurity) || \'/\' || (select count(*) from pg_policy) from pg_class'])).stdout.trim()
  t.equal(await guards(restored.url), await guards(source.url), 'the same guarded tables and policies')
  // Every tenant table forced under row-level security with its two policies (read, write).
  const [tables, policies] = (await guards(restored.url)).split('/').map(Number)
  t.ok((tables ?? 0) >= 16, `${tables} tables under row-level security`)
  t.equal(policies, 2 * (tables ?? 0), 'two policies per guarded table')

  // 4. start the service on the restored database and read the data back
  // No load shedding: on a busy machine the event loop of a process just started lags past its limit.
  const server = startScript(t, 'src/server.ts', [], {
    env: { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0', NODE_ENV: 'production', DATABASE_URL: restored.url, JWT_SECRET: 'restore-drill-secret-restore-drill-secret', PORT: '0', HOST: '127.0.0.1' }
  })
  const base = (await server.waitForOutput(/"url":"(http:\/\/[^"]+)\/graphql"/))[1] as string
  const post = async (query: string, token?: string) => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query })
    })
    return await response.json() as { data: any }
  }
  const token = (await post('mutation { login(email: "fleet_manager@fleet.example", password: "fleet-demo") { accessToken } }')).data.login.accessToken as string
  const read = await post('{ vehicles { totalCount } facilities(orderBy: { field: CODE }) { nodes { code name } } }', token)
  t.equal(read.data.vehicles.totalCount, 50)
  t.ok(read.data.facilities.nodes.some((f: { code: string, name: string }) => f.code === 'BKP' && f.name === 'Written before the backup'), 'the change made before the backup is there')
  const ready = await fetch(`${base}/health/readiness`)
  t.equal(ready.status, 200)
  server.child.kill('SIGTERM')
  t.equal((await server.exited).code, 0)
})
