import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

const require = createRequire(import.meta.url)

/**
 * `virtual:world`: world-atlas's 110m countries keyed by ISO 3166-1 alpha-2 (the API's state
 * codes) instead of ISO numeric, from world-countries, with the names dropped (the API has them).
 */
function worldMap(): Plugin {
  const id = 'virtual:world'
  return {
    name: 'pocdir-world-map',
    resolveId: (source) => (source === id ? `\0${id}` : undefined),
    load(resolved) {
      if (resolved !== `\0${id}`) return undefined
      const topo = require('world-atlas/countries-110m.json') as {
        objects: { countries: { geometries: { id?: string; properties?: unknown }[] } }
      }
      const countries = require('world-countries') as { ccn3: string; cca2: string }[]
      const alpha2 = new Map(countries.map((c) => [c.ccn3, c.cca2]))
      const geometries = topo.objects.countries.geometries.map(({ id: numeric, properties: _, ...g }) => ({
        ...g,
        id: (numeric && alpha2.get(numeric)) ?? undefined,
      }))
      const out = {
        ...topo,
        objects: { ...topo.objects, countries: { ...topo.objects.countries, geometries } },
      }
      return `export default ${JSON.stringify(out)}`
    },
  }
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [worldMap()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Nothing inlined as data: URLs or inline tags: the service's CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
})
