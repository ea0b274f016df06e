/**
 * The world as SVG (world-atlas 110m, d3-geo's Natural Earth projection), each country filled
 * by a class its state's status names. Loaded lazily: the map data is most of the console's
 * weight, and the totals and the table do not wait for it.
 */

import world from 'virtual:world'
import { geoNaturalEarth1, geoPath } from 'd3-geo'
import { feature } from 'topojson-client'
import type { GeometryCollection } from 'topojson-specification'

const WIDTH = 960
const HEIGHT = 500

const countries = feature(world, world.objects.countries as GeometryCollection)
const projection = geoNaturalEarth1().fitSize([WIDTH, HEIGHT], countries)
const draw = geoPath(projection)
// Drawn once: the outlines never change, only the classes.
const shapes = countries.features
  .filter((f) => f.id !== undefined)
  .map((f) => ({ code: String(f.id), d: draw(f) ?? '' }))

export interface WorldMapProps {
  /** A CSS class per alpha-2 code (covered, stale, vacant, filtered); absent: not a state here. */
  classOf: (code: string) => string | undefined
  /** A short accessible text per country, shown as its tooltip. */
  labelOf: (code: string) => string | undefined
  onSelect: (code: string) => void
  summary: string
}

export default function WorldMap({ classOf, labelOf, onSelect, summary }: WorldMapProps) {
  return (
    <svg class="world-map" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary}>
      {shapes.map(({ code, d }) => {
        const cls = classOf(code)
        const label = labelOf(code)
        return (
          // Mouse users click a country; keyboard and screen-reader users have the table below.
          // biome-ignore lint/a11y/noStaticElementInteractions: the table twin is the keyboard path
          <path
            key={code}
            d={d}
            class={`country ${cls ?? 'not-listed'}`}
            data-code={code}
            onClick={cls ? () => onSelect(code) : undefined}
          >
            {label ? <title>{label}</title> : null}
          </path>
        )
      })}
    </svg>
  )
}
