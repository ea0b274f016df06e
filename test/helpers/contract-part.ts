import { readFileSync } from 'node:fs'
import { expect } from 'vitest'
import { OPENAPI_FILE, renderOpenApi } from '../../scripts/generate-openapi.js'

type Doc = { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }

/**
 * Renders the contract from the code as it is now and checks that the operations at `paths`
 * and the named component schemas equal the committed openapi/openapi.json; with `prefix`, also
 * that `paths` are exactly the committed paths under it, in order. Mutation guards call it inside a test, so a schema broken at module
 * load fails a test instead of a whole file.
 */
export async function expectGeneratedAsCommitted(part: {
  prefix?: string
  paths: string[]
  schemas: string[]
}): Promise<void> {
  const { prefix, paths, schemas } = part
  const generated = JSON.parse(await renderOpenApi()) as Doc
  const committed = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Doc
  if (prefix !== undefined)
    expect(Object.keys(committed.paths).filter((p) => p.startsWith(prefix))).toEqual(paths)
  for (const p of paths) expect(generated.paths[p], p).toEqual(committed.paths[p])
  for (const s of schemas) {
    expect(committed.components.schemas[s], s).toBeDefined()
    expect(generated.components.schemas[s], s).toEqual(committed.components.schemas[s])
  }
}
