import type autocannon from 'autocannon'

// Summaries of measured values.

/** The value at or below which a share `p` (0..1) of the sorted values lie. */
export function percentile (sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number
}

export const median = (values: readonly number[]): number => percentile([...values].sort((a, b) => a - b), 0.5)

/** Least-squares slope of y over x (e.g. bytes per second of a memory series). */
export function slope (points: ReadonlyArray<{ x: number, y: number }>): number {
  const n = points.length
  if (n < 2) return NaN
  const mx = points.reduce((s, p) => s + p.x, 0) / n
  const my = points.reduce((s, p) => s + p.y, 0) / n
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0)
  return sxx === 0 ? NaN : points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx
}

/** What the failed requests were: HTTP status codes and connection errors, counted. */
export function failuresOf (result: autocannon.Result): string {
  const codes = Object.entries(result.statusCodeStats ?? {}).filter(([code]) => !code.startsWith('2')).map(([code, stat]) => `${stat.count} × ${code}`)
  if (result.errors > 0) codes.push(`${result.errors} errors, ${result.timeouts} timeouts`)
  return codes.length === 0 ? '' : ` (${codes.join(', ')})`
}
