import { lookup } from 'node:dns/promises'
import ipaddr from 'ipaddr.js'
import type { WebhookConfig } from '../../config.js'

/**
 * Which targets deliveries may reach. A URL is checked when a subscription is written and
 * again before every send, against the addresses its host resolves to at that moment; the
 * connection then goes to the address that was checked, so a DNS answer that changes between
 * the check and the connection (DNS rebinding) cannot point a delivery inside the network.
 */

export type TargetPolicy = Pick<WebhookConfig, 'allowLoopback' | 'allowPrivate'>

export class UnsafeTarget extends Error {
  override name = 'UnsafeTarget'
}

/** The host has no address (yet): refused at send time, accepted when a subscription is written. */
export class UnresolvedTarget extends UnsafeTarget {
  override name = 'UnresolvedTarget'
}

const PRIVATE_RANGES = new Set(['private', 'linkLocal', 'uniqueLocal', 'carrierGradeNat'])
/** Where IPv6 global unicast addresses are allocated; ipaddr.js calls anything it has no name for unicast. */
const GLOBAL_UNICAST_V6: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('2000::'), 3]

/** Why `address` may not be reached, or undefined when it may. */
export function refusal(address: string, policy: TargetPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it is.
  const ip = ipaddr.process(address)
  const range = ip.range()
  const shown = ip.toString()
  if (range === 'unicast') {
    // ::a00:1 (IPv4-compatible, deprecated) and other unallocated space are "unicast" to ipaddr.js.
    if (ip instanceof ipaddr.IPv6 && !ip.match(GLOBAL_UNICAST_V6))
      return `${shown} is not a global unicast address`
    return undefined
  }
  if (range === 'loopback') return policy.allowLoopback ? undefined : `${shown} is a loopback address`
  if (PRIVATE_RANGES.has(range)) {
    return policy.allowPrivate ? undefined : `${shown} is a private or link-local address`
  }
  return `${shown} is in the ${range} range`
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROLS_OR_SPACES = /[\x00-\x20\x7F-\x9F]/

/** The URL's shape: http(s), no control characters or spaces, no credentials, no fragment. Throws UnsafeTarget. */
export function parseTarget(text: string, policy: TargetPolicy): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UnsafeTarget('must be an absolute http(s) URL')
  }
  // The parser drops tabs and newlines and encodes the rest: refused, so what is stored is what is sent.
  if (CONTROLS_OR_SPACES.test(text)) throw new UnsafeTarget('must not hold control characters or spaces')
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UnsafeTarget('must be an https URL')
  if (url.protocol === 'http:' && !policy.allowLoopback) {
    throw new UnsafeTarget(
      'must be an https URL (http is allowed only to loopback, when WEBHOOK_ALLOW_LOOPBACK is on)',
    )
  }
  if (url.username || url.password) throw new UnsafeTarget('must not carry credentials')
  if (url.hash) throw new UnsafeTarget('must not carry a fragment')
  return url
}

export interface CheckedTarget {
  url: URL
  address: string
  family: 4 | 6
}

type Lookup = (
  host: string,
  options: { all: true; verbatim: true },
) => Promise<{ address: string; family: number }[]>

/** How long a host may take to resolve when no shorter time is given (a send passes its own timeout). */
export const RESOLVE_TIMEOUT_MS = 5_000

/**
 * Resolves the URL's host and checks every address it has; the first is the one to connect to.
 * A host whose DNS does not answer within `timeoutMs` is unresolved: the system resolver's own
 * timeouts are far longer, and an attempt must not outlast its delivery timeout.
 */
export async function resolveTarget(
  text: string,
  policy: TargetPolicy,
  {
    timeoutMs = RESOLVE_TIMEOUT_MS,
    resolve = lookup as Lookup,
  }: { timeoutMs?: number; resolve?: Lookup } = {},
): Promise<CheckedTarget> {
  const url = parseTarget(text, policy)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  let found: { address: string; family: number }[]
  try {
    found = ipaddr.isValid(host)
      ? [{ address: host, family: ipaddr.parse(host).kind() === 'ipv6' ? 6 : 4 }]
      : await withTimeout(resolve(host, { all: true, verbatim: true }), timeoutMs)
  } catch (err) {
    throw new UnresolvedTarget(
      `host ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    )
  }
  if (found.length === 0) throw new UnresolvedTarget(`host ${host} does not resolve`)
  for (const { address } of found) {
    const why = refusal(address, policy)
    if (why) throw new UnsafeTarget(`resolves to a refused address: ${why}`)
  }
  if (
    url.protocol === 'http:' &&
    !found.every(({ address }) => ipaddr.process(address).range() === 'loopback')
  ) {
    throw new UnsafeTarget('must be an https URL (http is allowed only to loopback addresses)')
  }
  const first = found[0] as { address: string; family: number }
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 }
}

/** `promise`, or a rejection with code ETIMEOUT once `ms` have passed (the lookup itself cannot be cancelled). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEOUT' })), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}
