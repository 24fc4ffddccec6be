import type { SessionView } from '@parley/api'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, sessionEnded } from './api.ts'

/** The signed-in session, or null when there is none (or it has ended). */
export function useSession() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async (): Promise<SessionView | null> => {
      try {
        return await api.getSession()
      } catch (error) {
        if (sessionEnded(error)) return null
        throw error
      }
    },
    staleTime: 60_000,
  })
}

/** Puts a session the node answered (a login step, a password change) in place. */
export function useSetSession() {
  const client = useQueryClient()
  return (session: SessionView | null) => {
    client.setQueryData(['session'], session)
    if (session === null) client.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' })
  }
}
