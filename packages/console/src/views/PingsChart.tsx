import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

/** One ping as a party answered it: when it was sent, and how long a human took (null: not). */
export interface PingPoint {
  readonly at: number
  readonly party: string
  readonly answerMs: number | null
}

// Colours of the parties' lines, each at least 3:1 against the white chart (WCAG 1.4.11).
const COLOURS = ['#1f4e8c', '#a4161a', '#1d6b3a', '#6a3d9a', '#8a5a00']

/** Time (minutes, or seconds when all are quick) to a human answer per ping, one line per party, drawn with uPlot. */
export function PingsChart(props: {
  points: readonly PingPoint[]
  label: string
  minutes: string
  seconds: string
}) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (box.current === null) return
    const parties = [...new Set(props.points.map((p) => p.party))].sort()
    const times = [...new Set(props.points.map((p) => p.at))].sort((a, b) => a - b)
    const index = new Map(times.map((at, i) => [at, i]))
    const series = parties.map(() => times.map((): number | null => null))
    // Answers within two minutes read better in seconds than as a line along zero.
    const slowest = Math.max(0, ...props.points.map((p) => p.answerMs ?? 0))
    const unit = slowest < 120_000 ? 1_000 : 60_000
    for (const point of props.points) {
      if (point.answerMs === null) continue
      series[parties.indexOf(point.party)]![index.get(point.at)!] =
        Math.round((point.answerMs / unit) * 10) / 10
    }
    const data: uPlot.AlignedData = [times.map((at) => at / 1_000), ...series]
    const plot = new uPlot(
      {
        width: Math.min(720, box.current.clientWidth || 720),
        height: 240,
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1_000), 'Etc/UTC'),
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [
          {
            space: 90,
            values: (_plot, splits) =>
              splits.map((s) => new Date(s * 1_000).toISOString().slice(11, 19)),
          },
          { label: unit === 1_000 ? props.seconds : props.minutes },
        ],
        series: [
          { label: 'UTC' },
          ...parties.map((party, i) => ({
            label: party.toUpperCase(),
            stroke: COLOURS[i % COLOURS.length],
            width: 2,
            points: { show: true, size: 7 },
            spanGaps: true,
          })),
        ],
      },
      data,
      box.current,
    )
    return () => plot.destroy()
  }, [props.points, props.minutes, props.seconds])
  return <div ref={box} role="img" aria-label={props.label} className="ping-chart" />
}
