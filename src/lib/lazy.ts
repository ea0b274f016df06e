import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/**
 * A dependency loaded on its first use instead of at start-up, which is a measured bar: large
 * libraries that start-up itself does not run (transliteration and phone metadata for writes
 * and searches, the CSV libraries, fast-json-stringify for the first response).
 */
export function lazy<T>(id: string): () => T {
  let loaded: T | undefined
  return () => {
    loaded ??= require(id) as T
    return loaded
  }
}
