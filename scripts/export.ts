/**
 * Exports contacts as CSV (the import's columns) or vCard 4.0, from a running server or,
 * without --url, from the local database through the same code path.
 *
 *   npm run export -- [--format csv|vcard] [--state KG] [--role national-poc] [--organization ID]
 *                     [--all] [--out FILE] [--url http://127.0.0.1:3000 --token TOKEN]
 */
import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { exportContacts } from '../src/modules/contacts/contacts-routes.js'
import { ContactListQuery } from '../src/modules/contacts/contacts-schemas.js'
import { openLocalDatabase, printProblem, problemOf } from './cli.js'

const TYPES = { csv: 'text/csv', vcard: 'text/vcard' } as const

const Args = z.object({
  format: z.enum(['csv', 'vcard']).default('csv'),
  out: z.string().min(1).optional(),
  url: z.url().optional(),
  token: z.string().min(1).optional(),
})

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      format: { type: 'string' },
      state: { type: 'string' },
      role: { type: 'string' },
      organization: { type: 'string' },
      all: { type: 'boolean', default: false },
      out: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
    },
  })
  const args = Args.safeParse(values)
  const filters: Record<string, string> = {}
  for (const key of ['state', 'role', 'organization'] as const) if (values[key]) filters[key] = values[key]
  // --all includes people through ended tenures too.
  if (values.all) filters.current = 'false'
  const query = ContactListQuery.safeParse(filters)
  if (!args.success || !query.success) {
    for (const i of [...(args.error?.issues ?? []), ...(query.error?.issues ?? [])]) {
      console.error(`--${i.path.join('.')}: ${i.message}`)
    }
    return 2
  }
  const out = args.data.out ? createWriteStream(args.data.out) : process.stdout
  const type = TYPES[args.data.format]

  if (args.data.url) {
    const url = new URL(`/v1/contacts?${new URLSearchParams(filters)}`, args.data.url)
    const res = await fetch(url, {
      headers: { accept: type, ...(args.data.token ? { authorization: `Bearer ${args.data.token}` } : {}) },
    })
    if (!res.ok || !res.body) {
      printProblem((await res.json()) as Parameters<typeof printProblem>[0])
      return 1
    }
    await pipeline(Readable.fromWeb(res.body as never), out)
    return 0
  }

  const db = openLocalDatabase()
  try {
    // The local database is read as its owner would: restricted details included.
    await pipeline(Readable.from(exportContacts(db, query.data, true, args.data.format)), out)
    return 0
  } catch (err) {
    const problem = problemOf(err)
    if (!problem) throw err
    printProblem(problem)
    return 1
  } finally {
    db.$client.close()
  }
}

main().then((code) => process.exit(code))
