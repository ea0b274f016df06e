import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'

/** IMPORT_MAX_ROWS and IMPORT_WORKER_MEMORY_MB are validated at start like every variable. */

const SECRET = { JWT_SECRET: 'test-secret-0123456789-abcdefghijklmnop' }

describe('import limits in the configuration', () => {
  it('default to 50,000 rows and a 512 MiB worker heap', () => {
    const config = loadConfig(SECRET)
    expect(config.importMaxRows).toBe(50_000)
    expect(config.importWorkerMemoryMb).toBe(512)
  })

  it('take whole numbers in range', () => {
    const config = loadConfig({ ...SECRET, IMPORT_MAX_ROWS: '1', IMPORT_WORKER_MEMORY_MB: '16' })
    expect(config.importMaxRows).toBe(1)
    expect(config.importWorkerMemoryMb).toBe(16)
    expect(loadConfig({ ...SECRET, IMPORT_WORKER_MEMORY_MB: '16384' }).importWorkerMemoryMb).toBe(16384)
  })

  const refused: [Record<string, string>, string][] = [
    [{ IMPORT_MAX_ROWS: '0' }, 'IMPORT_MAX_ROWS must be a whole number of rows of at least 1'],
    [{ IMPORT_MAX_ROWS: '1.5' }, 'IMPORT_MAX_ROWS must be a whole number of rows of at least 1'],
    [{ IMPORT_MAX_ROWS: 'many' }, 'IMPORT_MAX_ROWS must be a whole number of rows of at least 1'],
    [{ IMPORT_WORKER_MEMORY_MB: '15' }, 'IMPORT_WORKER_MEMORY_MB must be at least 16'],
    [{ IMPORT_WORKER_MEMORY_MB: '16385' }, 'IMPORT_WORKER_MEMORY_MB must be at most 16384'],
    [{ IMPORT_WORKER_MEMORY_MB: 'lots' }, 'IMPORT_WORKER_MEMORY_MB must be a whole number of MiB'],
  ]
  for (const [env, message] of refused) {
    it(`refuses ${JSON.stringify(env)}`, () => {
      expect(() => loadConfig({ ...SECRET, ...env })).toThrow(`Invalid configuration: ${message}`)
    })
  }
})
