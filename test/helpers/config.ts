import { ConfigError, loadConfig } from '../../src/config.js'

/** The problems loadConfig reports for `env`, or [] when it accepts it. */
export function problemsOf (env: Record<string, string>): string[] {
  try {
    loadConfig(env)
    return []
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    return err.problems
  }
}
