// vite.config.ts's worldMap(): world-atlas countries-110m, geometries keyed by ISO alpha-2.
declare module 'virtual:world' {
  import type { Topology } from 'topojson-specification'

  const world: Topology
  export default world
}
