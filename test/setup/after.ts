import pg from 'pg'
import { SERVER_URL } from '../helpers/environment.js'

// Drops what the run left on the server: the template and any database a crashed file did not drop.
if (SERVER_URL !== undefined) {
  const admin = new pg.Client({ connectionString: SERVER_URL })
  await admin.connect()
  const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'fleet\\_test\\_%'")
  for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`)
  await admin.end()
}
