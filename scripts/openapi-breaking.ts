/**
 * Breaking changes between two versions of the contract, for the test that guards
 * openapi/openapi.json against openapi/released/ and for `npm run openapi:release`.
 *
 * The differ is api-smart-diff (OpenAPI 3.0 and 3.1, parameters included). Atlassian's openapi-diff
 * reads only Swagger 2 / OpenAPI 3.0 (its swagger-parser refuses 3.1.0) and ignores parameters.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { apiDiff } from 'api-smart-diff'

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document edited freely by tests and scripts
export type OpenApiDoc = Record<string, any>

export const CONTRACT_FILE = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url))
export const RELEASED_DIR = fileURLToPath(new URL('../openapi/released/', import.meta.url))

export const pointer = (path: ReadonlyArray<string | number>) =>
  `#/${path.map((part) => String(part).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`

/** Every change from `before` to `after` that can break a client built from `before`, one line each. */
export function breakingChanges(before: OpenApiDoc, after: OpenApiDoc): string[] {
  return apiDiff(before, after)
    .filter((diff) => diff.type === 'breaking')
    .map((diff) => `${diff.description || diff.action} at ${pointer(diff.path)}`)
}

export const readContract = (file = CONTRACT_FILE): OpenApiDoc =>
  JSON.parse(readFileSync(file, 'utf8')) as OpenApiDoc

/** The released file of a version's major: 1.4.0 is frozen as released/v1.json. */
export function releasedFileFor(version: unknown): { file: string; major: number } {
  const major = typeof version === 'string' ? /^(\d+)\.\d+\.\d+/.exec(version)?.[1] : undefined
  if (major === undefined) throw new Error(`info.version must be MAJOR.MINOR.PATCH, not ${String(version)}`)
  return { file: join(RELEASED_DIR, `v${major}.json`), major: Number(major) }
}

/** The released contract of the highest major version, or undefined before the first release. */
export function lastReleased(): { file: string; major: number; doc: OpenApiDoc } | undefined {
  const latest = readdirSync(RELEASED_DIR)
    .map((name) => /^v(\d+)\.json$/.exec(name))
    .filter((match) => match !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]))[0]
  if (!latest) return undefined
  const file = join(RELEASED_DIR, latest[0])
  return { file, major: Number(latest[1]), doc: readContract(file) }
}
