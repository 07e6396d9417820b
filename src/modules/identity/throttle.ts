import { createHash } from 'node:crypto'
import type { CacheStore } from '../../cache/store.js'

// Sign-in throttling against credential stuffing and guessing. Failures are counted in windows
// of `windowSeconds` per (account, address), per address and per account:
// - one address guessing one account is stopped after a few attempts;
// - one address trying many accounts (stuffing) is stopped by the address count;
// - many addresses on one account (distributed guessing) by the much higher account count.
// Nothing locks forever: a window ends `windowSeconds` after its first failure, and a success
// clears its (account, address) count. A real user is only kept out by the account-wide count,
// which takes a sustained distributed attack to reach. While throttled, passwords are not even
// checked, so the throttle is no oracle. An attempt is counted before its password is checked
// (and taken back when it was right or refused), so concurrent attempts cannot overrun a limit.
// Counters live in Redis (shared by replicas), in process memory while Redis is unreachable.

export interface LoginLimits {
  perAccountAndAddress: number
  perAddress: number
  perAccount: number
  windowSeconds: number
}

export class LoginThrottle {
  constructor (
    private readonly store: CacheStore,
    private readonly fallback: CacheStore,
    private readonly namespace: string,
    private readonly limits: LoginLimits
  ) {}

  private keys (email: string, address: string): { pair: string, address: string, account: string } {
    const account = createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22)
    return {
      pair: `${this.namespace}:login:pair:${account}:${address}`,
      address: `${this.namespace}:login:address:${address}`,
      account: `${this.namespace}:login:account:${account}`
    }
  }

  private async withStore<T> (work: (store: CacheStore) => Promise<T>): Promise<T> {
    try {
      return await work(this.store)
    } catch {
      return await work(this.fallback)
    }
  }

  /**
   * Counts this attempt as a failure before the password is checked, so that concurrent attempts
   * (a batch of logins, parallel requests, other replicas) cannot all pass a check made before
   * any of them failed. Returns the seconds to wait when it must be refused (it is then taken back
   * again: waiting attempts do not push an account towards its account-wide limit), else null.
   */
  async attempt (email: string, address: string): Promise<number | null> {
    const keys = this.keys(email, address)
    return await this.withStore(async (store) => {
      const hit = async (key: string) => await store.hit(key, this.limits.windowSeconds)
      const [pair, byAddress, byAccount] = await Promise.all([hit(keys.pair), hit(keys.address), hit(keys.account)])
      const blocked = [
        pair.count > this.limits.perAccountAndAddress ? pair.ttlSeconds : 0,
        byAddress.count > this.limits.perAddress ? byAddress.ttlSeconds : 0,
        byAccount.count > this.limits.perAccount ? byAccount.ttlSeconds : 0
      ].filter((seconds) => seconds > 0)
      if (blocked.length === 0) return null
      await this.takeBack(store, [keys.pair, keys.address, keys.account])
      return Math.max(...blocked)
    })
  }

  /** The password was right: the attempt was no failure, and its (account, address) count starts over. */
  async succeeded (email: string, address: string): Promise<void> {
    const keys = this.keys(email, address)
    await this.withStore(async (store) => {
      await store.delete([keys.pair])
      await this.takeBack(store, [keys.address, keys.account])
    })
  }

  /** The attempt could not be decided (the database failed): it counts for nothing. */
  async undecided (email: string, address: string): Promise<void> {
    const keys = this.keys(email, address)
    await this.withStore(async (store) => { await this.takeBack(store, [keys.pair, keys.address, keys.account]) })
  }

  private async takeBack (store: CacheStore, keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map(async (key) => await store.hit(key, this.limits.windowSeconds, -1)))
  }
}
