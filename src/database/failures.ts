// What pg says when the database could not be reached or went away, shared by what clients are
// told (src/graphql/error-formatter.ts) and what the metrics count (src/telemetry/instruments.ts).
// These errors carry no SQLSTATE: pg raises them itself.

/** The pool had no connection to give within its connection timeout. */
export function poolExhausted (err: unknown): boolean {
  return err instanceof Error && /timeout exceeded when trying to connect/i.test(err.message)
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE'])
const CONNECTION_LOST = /^Connection terminated|encountered a connection error and is not queryable/

/** The server could not be reached, or the connection went away under a query or a transaction. */
export function connectionLost (err: unknown): boolean {
  return err instanceof Error && (CONNECTION_CODES.has((err as NodeJS.ErrnoException).code ?? '') || CONNECTION_LOST.test(err.message))
}
