import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { channelMoved } from './data.ts'

export type StreamState = 'connecting' | 'live' | 'down'

/**
 * The live stream: every event the node commits in the officer's compartments. The session
 * cookie authenticates it (same origin); each event refreshes what shows its channel. It
 * reconnects with a growing pause when the node goes away.
 */
export function useLiveStream(enabled: boolean): StreamState {
  const client = useQueryClient()
  const [state, setState] = useState<StreamState>('connecting')
  useEffect(() => {
    if (!enabled) return
    let socket: WebSocket | undefined
    let closed = false
    let pause = 500
    let timer: ReturnType<typeof setTimeout> | undefined
    const open = () => {
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
      socket = new WebSocket(`${scheme}://${location.host}/api/v1/stream`)
      setState('connecting')
      socket.onopen = () => {
        pause = 500
        setState('live')
        // Whatever happened while the stream was away is read again; the timeline's pages
        // read on after their newest cursor, so nothing is missed and nothing read twice.
        void client.invalidateQueries({ predicate: (query) => query.queryKey[0] !== 'pages' })
        channelMoved(client, null)
      }
      socket.onmessage = (message) => {
        const data = JSON.parse(String(message.data)) as {
          type?: string
          event?: { channel?: string }
        }
        if (data.type !== 'event' || data.event?.channel === undefined) return
        channelMoved(client, data.event.channel)
        void client.invalidateQueries({ queryKey: ['channels'] })
        void client.invalidateQueries({ queryKey: ['releases'] })
        void client.invalidateQueries({ queryKey: ['notices'] })
      }
      socket.onclose = (event) => {
        if (closed) return
        setState('down')
        // 4401: the session ended; the session query finds out and shows the sign-in.
        if (event.code === 4401) void client.invalidateQueries({ queryKey: ['session'] })
        timer = setTimeout(open, pause)
        pause = Math.min(pause * 2, 10_000)
      }
    }
    open()
    return () => {
      closed = true
      clearTimeout(timer)
      socket?.close()
    }
  }, [enabled, client])
  return state
}
