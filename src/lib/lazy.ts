import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/**
 * A dependency loaded on its first use instead of at start-up. Only for large libraries that
 * no read of the directory needs (transliteration, phone metadata): start-up time is a bar.
 */
export function lazy<T>(id: string): () => T {
  let loaded: T | undefined
  return () => {
    loaded ??= require(id) as T
    return loaded
  }
}
