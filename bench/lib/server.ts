import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { performance } from 'node:perf_hooks'

// The service as the benchmarks run it: its own process, started the way production starts it
// (`node --import instrument dist/src/server.js`, after `npm run build`) or from the sources
// (tsx), reached over HTTP.

export interface RunningServer {
  child: ChildProcess
  pid: number
  base: string
  /** From spawning the process to the first 200 from /health/readiness. */
  readyMs: number
}

export interface ServerOptions {
  port: number
  env: Record<string, string>
  /** `dist` (compiled, as `npm start` and the image run it) or `src` (tsx). Default: src. */
  entry?: 'dist' | 'src'
  /** Give up after this long. */
  timeoutMs?: number
  /** Inherit the server's output (default) or drop it. */
  quiet?: boolean
}

const ENTRIES = {
  dist: ['--max-semi-space-size=16', '--import', './dist/src/telemetry/instrument.js', 'dist/src/server.js'],
  src: ['--import', 'tsx', 'src/server.ts']
}

export async function startServer (options: ServerOptions): Promise<RunningServer> {
  const started = performance.now()
  const child = spawn(process.execPath, ENTRIES[options.entry ?? 'src'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(options.port), ...options.env },
    stdio: ['ignore', options.quiet === true ? 'ignore' : 'inherit', 'inherit']
  })
  const base = `http://127.0.0.1:${options.port}`
  const deadline = started + (options.timeoutMs ?? 120_000)
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`)
    try {
      if ((await fetch(`${base}/health/readiness`)).ok) return { child, pid: child.pid as number, base, readyMs: performance.now() - started }
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  child.kill('SIGKILL')
  throw new Error('server did not get ready')
}

export async function stopServer (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  child.kill('SIGTERM')
  await once(child, 'exit')
}

interface GraphQLResponse<T> { data?: T, errors?: Array<{ message: string }> }

export async function graphql<T> (base: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables })
  })
  const json = await response.json() as GraphQLResponse<T>
  if (json.errors !== undefined && json.errors.length > 0) throw new Error(`GraphQL: ${json.errors.map((e) => e.message).join('; ')}`)
  if (json.data === undefined) throw new Error(`GraphQL: no data (HTTP ${response.status})`)
  return json.data
}

/** Signs in as the demo fleet manager. */
export async function login (base: string): Promise<string> {
  const data = await graphql<{ login: { accessToken: string } }>(base, 'mutation { login(email: "fleet_manager@fleet.example", password: "fleet-demo") { accessToken } }')
  return data.login.accessToken
}
