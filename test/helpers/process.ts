import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { settings } from '../../src/config.js'
import { ROOT } from './environment.js'

// Runs the service's entry points (src/server.ts, src/cli/*.ts) as real child processes, the
// way `npm run ...` does: Node 24 from node_modules with tsx as the loader.

interface Teardown {
  teardown: (fn: () => unknown) => void
}

/** The Node 24 binary the `node` package installs (the system `node` may be older). */
export const NODE = join(ROOT, 'node_modules', '.bin', 'node')
/** tsx's loader as a file URL: `--import tsx` only resolves with the repository as working directory. */
const TSX = import.meta.resolve('tsx')

/** Variables to set; `undefined` removes one. */
export type Env = Record<string, string | undefined>

export interface RunOptions {
  env?: Env
  /** Working directory; the repository root unless told. */
  cwd?: string
  timeoutMs?: number
}

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * The test's environment with every Fleet API setting removed (the runner's DATABASE_URL
 * must not leak into a child), plus `env`.
 */
export function childEnv (env: Env = {}): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(settings)) delete result[name]
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete result[name]
    else result[name] = value
  }
  // Children transpile with tsx, the test process with tap's TypeScript loader: V8 coverage of
  // the same file from both cannot be merged (the ranges belong to different code) and the
  // merge under-reports. Coverage is therefore measured in the test processes only.
  result._TAPJS_PROCESSINFO_COVERAGE_ = '0'
  return result
}

function spawnScript (script: string, args: readonly string[], options: RunOptions): ChildProcess {
  const cwd = options.cwd ?? ROOT
  // In the repository: exactly the npm scripts' command line. Elsewhere: absolute paths.
  const argv = cwd === ROOT && !isAbsolute(script)
    ? ['--import', 'tsx', script, ...args]
    : ['--import', TSX, isAbsolute(script) ? script : join(ROOT, script), ...args]
  return spawn(NODE, argv, { cwd, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Runs `node --import tsx <script> ...args` (script relative to the repository) to its end. */
export async function runScript (script: string, args: readonly string[] = [], options: RunOptions = {}): Promise<RunResult> {
  const child = spawnScript(script, args, options)
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const timeoutMs = options.timeoutMs ?? 60_000
  return await new Promise<RunResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, timeoutMs)
    child.on('error', (err) => { clearTimeout(timer); reject(err) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

export interface RunningProcess {
  readonly child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the first match of `pattern` in stdout; rejects on exit or timeout. */
  waitForOutput: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>
  /** Resolves when the process has ended and its output is complete. */
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/** Starts a long-running script; it is killed at the test's teardown if still running. */
export function startScript (t: Teardown, script: string, args: readonly string[] = [], options: RunOptions = {}): RunningProcess {
  const child = spawnScript(script, args, options)
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  const notify = () => { for (const listener of listeners) listener() }
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; notify() })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  let ended = false
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => { ended = true; notify(); resolve({ code, signal }) })
  })
  t.teardown(async () => {
    if (ended) return
    child.kill('SIGKILL')
    await exited
  })

  const waitForOutput = async (pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> =>
    await new Promise((resolve, reject) => {
      const failure = (why: string) => new Error(`${script} ${why}\nstdout: ${stdout}\nstderr: ${stderr}`)
      const check = () => {
        const match = pattern.exec(stdout)
        if (match === null && !ended) return
        clearTimeout(timer)
        listeners.delete(check)
        if (match !== null) resolve(match)
        else reject(failure(`exited before printing ${pattern}`))
      }
      const timer = setTimeout(() => {
        listeners.delete(check)
        reject(failure(`did not print ${pattern} in ${timeoutMs} ms`))
      }, timeoutMs)
      listeners.add(check)
      check()
    })

  return { child, stdout: () => stdout, stderr: () => stderr, waitForOutput, exited }
}

/** A fresh temporary directory, removed at the test's teardown. */
export function temporaryDirectory (t: Teardown, prefix = 'fleet-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}
