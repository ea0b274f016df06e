/**
 * `npm run openapi:release`: freezes openapi/openapi.json as the released contract of its major
 * version (info.version 1.x.y -> openapi/released/v1.json), which `npm test` then guards against
 * breaking changes. Steps and reasons: docs/contract.md.
 *
 * It refuses, unless given --force, to re-freeze an unchanged info.version over a different document,
 * or to freeze a breaking change over the same major version (that needs a new major: 2.0.0 ->
 * released/v2.json, leaving v1.json as it was). --force is for re-freezing a contract no partner has
 * been given yet.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { relative } from 'node:path'
import {
  breakingChanges,
  CONTRACT_FILE,
  lastReleased,
  RELEASED_DIR,
  readContract,
  releasedFileFor,
} from './openapi-breaking.js'

const force = process.argv.includes('--force')
const doc = readContract()
const { file: target, major } = releasedFileFor(doc.info?.version)
const refusals: string[] = []

const latest = lastReleased()
if (latest && latest.major > major) {
  refusals.push(
    `${relative('.', latest.file)} is a later major version than info.version ${doc.info.version}`,
  )
}
if (existsSync(target)) {
  const frozen = readContract(target)
  const same = readFileSync(target, 'utf8') === readFileSync(CONTRACT_FILE, 'utf8')
  if (same) {
    console.log(`${relative('.', target)} already holds this contract; nothing to do`)
    process.exit(0)
  }
  if (frozen.info?.version === doc.info?.version) {
    refusals.push(`info.version is still ${doc.info.version}, as frozen: bump it (minor for additions)`)
  }
  for (const change of breakingChanges(frozen, doc)) refusals.push(`breaking: ${change}`)
}

if (refusals.length > 0 && !force) {
  console.error(`not released:\n  ${refusals.join('\n  ')}`)
  console.error('(--force re-freezes anyway: only for a contract that no partner has been given yet)')
  process.exit(1)
}
mkdirSync(RELEASED_DIR, { recursive: true })
copyFileSync(CONTRACT_FILE, target)
console.log(
  `froze ${relative('.', CONTRACT_FILE)} (info.version ${doc.info.version}) as ${relative('.', target)}`,
)
