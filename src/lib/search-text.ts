import { lazy } from './lazy.js'

const transliteration = lazy<typeof import('transliteration')>('transliteration')

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching exactly the ASCII range
const ASCII = /^[\x00-\x7f]*$/
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

/** Latin spelling of any script (the library's, with case and diacritics as it leaves them). */
export const toLatin = (text: string): string =>
  // The library leaves printable ASCII as it is; most names are already Latin.
  PRINTABLE_ASCII.test(text) ? text : transliteration().transliterate(text)

/**
 * The text search folds names two ways, both into lower-case ASCII tokens:
 *
 * - **plain**: transliterated to Latin (the `transliteration` library) with diacritics dropped,
 *   so "Жумабеков", "ZHUMABEKOV" and "Zhumabekov" are one token, as are "Müller" and "Muller".
 * - **folded**: the plain spelling reduced to a canonical key so the Latin spellings a name
 *   takes in passports, UN documents and ministry letters meet. The rules, in order:
 *
 *   | written          | key  | e.g.                                         |
 *   |------------------|------|----------------------------------------------|
 *   | č ć ћ / š / ž    | ch / sh / zh (before the steps below) | Čapek = Chapek  |
 *   | đ ђ              | dj   | Đorđević = Djordjevic                         |
 *   | dzh, dj, zh      | j    | Dzhumabekov = Djumabekov = Zhumabekov = Jumabekov |
 *   | kh               | h    | Khasanov = Hasanov                            |
 *   | ts               | c    | Tsoy = Coy                                    |
 *   | ё, yo            | e    | Фёдоров = Fyodorov = Fedorov, Gorbachyov = Gorbachev |
 *   | ye               | e    | Yevgeniy = Evgeniy                            |
 *   | y                | i    | Yusupova = Iusupova, Yakovlev = Iakovlev      |
 *   | a doubled letter | one  | Dmitriy = Dmitrii = Dmitry = Dmitri, Mukhammad = Muhamad |
 *
 * Nothing else is folded: "Chernov" and "Tsernov", "Khan" and "Kan", "Sharipov" and
 * "Saripov" stay apart. A search ranks plain whole-word matches first, plain prefixes next,
 * folded (variant) matches last.
 */

/** Bump when the rules change: documents written under an older version are rebuilt at start. */
export const FOLDING_VERSION = 2

/** Letters the library would spell in a way no one searches for (ә as "@", ћ as "tsh"). */
const BEFORE_PLAIN: Record<string, string> = { ћ: 'ć', ђ: 'đ', ә: 'a', ə: 'a' }
/** Letters whose diacritic carries a sound the folded key must keep (č is "ch", not "c"). */
const BEFORE_FOLDED: Record<string, string> = {
  č: 'ch',
  ć: 'ch',
  ћ: 'ch',
  š: 'sh',
  ž: 'zh',
  đ: 'dj',
  ђ: 'dj',
  є: 'ye',
  ё: 'e',
  ә: 'a',
  ə: 'a',
}
const PLAIN_LETTERS = new RegExp(`[${Object.keys(BEFORE_PLAIN).join('')}]`, 'g')
const FOLDED_LETTERS = new RegExp(`[${Object.keys(BEFORE_FOLDED).join('')}]`, 'g')
const APOSTROPHES = /['’ʼ‘`´ʻʹ]/g
// Stryker disable next-line Regex: one separator at a time leaves empty tokens, which are dropped
const SEPARATORS = /[^a-z0-9]+/

function latinTokens(text: string, letters: RegExp, map: Record<string, string>): string[] {
  // NFC first: a name typed or pasted in decomposed form (и + combining breve) is the same name.
  let lower = text.normalize('NFC').toLowerCase()
  // Stryker disable next-line ConditionalExpression: the library leaves ASCII as it is (only slower)
  if (!ASCII.test(lower))
    lower = transliteration()
      .transliterate(lower.replace(letters, (c) => map[c] as string))
      .toLowerCase()
  return lower
    .replace(APOSTROPHES, '')
    .split(SEPARATORS)
    .filter((t) => t.length > 0)
}

// Whether any rule of foldToken applies; most tokens need none, and each replace allocates.
const FOLDS = /dj|zh|kh|ts|y|([a-z])\1/

export function foldToken(token: string): string {
  if (!FOLDS.test(token)) return token
  return token
    .replace(/dzh|dj|zh/g, 'j')
    .replace(/kh/g, 'h')
    .replace(/ts/g, 'c')
    .replace(/yo|ye/g, 'e')
    .replace(/y/g, 'i')
    .replace(/([a-z])\1+/g, '$1')
}

/** Given names, titles and ministries repeat across records: fold each distinct text once. */
function memoized(fold: (text: string) => string[]): (text: string) => string[] {
  const memo = new Map<string, string[]>()
  return (text) => {
    let tokens = memo.get(text)
    // Stryker disable next-line ConditionalExpression: a cache; folding again gives the same tokens
    if (!tokens) {
      // Stryker disable next-line all: the cache's bound (memory, not results)
      if (memo.size >= 20_000) memo.clear()
      tokens = fold(text)
      memo.set(text, tokens)
    }
    return tokens
  }
}

export const plainTokens = memoized((text) => latinTokens(text, PLAIN_LETTERS, BEFORE_PLAIN))

export const foldedTokens = memoized((text) =>
  latinTokens(text, FOLDED_LETTERS, BEFORE_FOLDED).map(foldToken),
)

/** The indexed text of some values: space-separated tokens, each distinct token once. */
export function searchText(
  values: readonly (string | null | undefined)[],
  fold: (text: string) => string[],
): string {
  const tokens = new Set<string>()
  for (const value of values) if (value) for (const token of fold(value)) tokens.add(token)
  return [...tokens].join(' ')
}

/** One word of a query: its plain tokens and its folded tokens (a word may transliterate to several). */
export interface QueryWord {
  plain: string[]
  folded: string[]
}

export const MAX_QUERY_WORDS = 16

/** Splits a query into words; every word must match. Empty when nothing searchable is left. */
export function queryWords(q: string): QueryWord[] {
  return (
    q
      // Stryker disable next-line Regex: one space at a time leaves empty words, which are dropped
      .split(/\s+/)
      .map((word) => ({ plain: plainTokens(word), folded: foldedTokens(word) }))
      // A word has folded tokens exactly when it has plain ones (folding never empties a token).
      .filter((w) => w.plain.length > 0)
  )
}
