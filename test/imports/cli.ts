import { type ChildProcess, spawn } from 'node:child_process'
import Database from 'better-sqlite3'

/** Running scripts/*.ts as child processes, and reading the database file they wrote. */

export const ROOT = process.cwd()

export interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export function spawnScript(script: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', `scripts/${script}`, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Runs a script to its end (killing it after `timeoutMs`). */
export function runScript(
  script: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawnScript(script, args, env)
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

type Counts = { created: number; updated: number; unchanged: number }

/** The counts table the import script prints (console.table), by entity. */
export function summaryOf(stdout: string): Record<'organizations' | 'contacts' | 'assignments', Counts> {
  const out: Record<string, Counts> = {}
  for (const m of stdout.matchAll(
    /'(organizations|contacts|assignments)'\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)/g,
  )) {
    out[m[1] as string] = { created: Number(m[2]), updated: Number(m[3]), unchanged: Number(m[4]) }
  }
  return out as Record<'organizations' | 'contacts' | 'assignments', Counts>
}

export const summary = (
  organizations: [number, number, number],
  contacts: [number, number, number],
  assignments: [number, number, number],
) => {
  const c = ([created, updated, unchanged]: [number, number, number]) => ({ created, updated, unchanged })
  return { organizations: c(organizations), contacts: c(contacts), assignments: c(assignments) }
}

export function withDb<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path)
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

export const TABLES = ['states', 'organizations', 'roles', 'contacts', 'assignments', 'revisions'] as const

/** Every row of every table of a database file. */
export const dumpFile = (path: string): string =>
  withDb(path, (db) =>
    JSON.stringify(TABLES.map((t) => db.prepare(`select * from ${t} order by rowid`).all())),
  )

export interface RecordCounts {
  organizations: number
  contacts: number
  assignments: number
  revisions: number
}

export const countsOf = (path: string): RecordCounts =>
  withDb(path, (db) => {
    const n = (t: string) => (db.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n
    return {
      organizations: n('organizations'),
      contacts: n('contacts'),
      assignments: n('assignments'),
      revisions: n('revisions'),
    }
  })
