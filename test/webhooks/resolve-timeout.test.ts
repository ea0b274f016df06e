import { describe, expect, it } from 'vitest'
import {
  RESOLVE_TIMEOUT_MS,
  resolveTarget,
  UnresolvedTarget,
  UnsafeTarget,
} from '../../src/modules/webhooks/targets.js'

// The sandbox has no DNS, so the resolver is handed in: what is under test is how long a target
// check may wait for it and what it concludes, not the system resolver.
const policy = { allowLoopback: false, allowPrivate: false }
const never = () => new Promise<never>(() => {})

describe('a webhook target whose DNS does not answer', () => {
  it('is unresolved once the timeout passes, not when the system resolver gives up', async () => {
    const t0 = performance.now()
    const err = await resolveTarget('https://slow.example/hook', policy, {
      timeoutMs: 100,
      resolve: never,
    }).catch((e: unknown) => e)
    const waited = performance.now() - t0
    expect(err).toBeInstanceOf(UnresolvedTarget)
    expect((err as Error).message).toBe('host slow.example does not resolve (ETIMEOUT)')
    // Not a timing assertion on the code's speed: the check gives up no earlier than its timeout.
    expect(waited).toBeGreaterThanOrEqual(99)
  })

  it('uses an answer that arrives within the timeout, and still refuses a private one', async () => {
    const answer = (address: string) => async () => {
      await new Promise((r) => setTimeout(r, 20))
      return [{ address, family: 4 }]
    }
    await expect(
      resolveTarget('https://partner.example/hook', policy, {
        timeoutMs: 2_000,
        resolve: answer('93.184.216.34'),
      }),
    ).resolves.toEqual({ url: new URL('https://partner.example/hook'), address: '93.184.216.34', family: 4 })
    const err = await resolveTarget('https://partner.example/hook', policy, {
      timeoutMs: 2_000,
      resolve: answer('10.0.0.1'),
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnsafeTarget)
    expect(err).not.toBeInstanceOf(UnresolvedTarget)
    expect((err as Error).message).toBe(
      'resolves to a refused address: 10.0.0.1 is a private or link-local address',
    )
  })

  it('waits five seconds by default (a subscription written through the API)', () => {
    expect(RESOLVE_TIMEOUT_MS).toBe(5_000)
  })
})
