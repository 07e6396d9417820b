import { rmSync } from 'node:fs'
import pg from 'pg'
import { DATABASE_PREFIX, PGLITE_SNAPSHOT, SERVER_URL } from '../helpers/environment.js'

// Drops what this run left behind: the template and any database a crashed file did not drop.
rmSync(PGLITE_SNAPSHOT, { force: true })
if (SERVER_URL !== undefined) {
  const admin = new pg.Client({ connectionString: SERVER_URL })
  await admin.connect()
  const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [DATABASE_PREFIX])
  for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`)
  await admin.end()
}
