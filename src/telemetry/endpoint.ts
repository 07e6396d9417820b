/** host[:port]/path of a connection string, without credentials: safe for logs and telemetry. */
export function endpointOf (url: string): string {
  const parsed = new URL(url)
  return `${parsed.hostname}${parsed.port === '' ? '' : `:${parsed.port}`}${parsed.pathname === '/' ? '' : parsed.pathname}`
}
