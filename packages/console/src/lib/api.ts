import { createApiClient, isApiRequestError } from '@parley/api'

/**
 * The console's one way to the officer API: the typed client, on the page's own origin. The
 * browser keeps the session cookie (HttpOnly, never readable here) and sends the page's Origin;
 * the client keeps the CSRF token the node hands out with the session and sends it on changes.
 */
export const api = createApiClient({ baseUrl: '' })

/** Whether a refusal means the session is gone, so the console must sign in again. */
export function sessionEnded(error: unknown): boolean {
  return (
    isApiRequestError(error, 'AUTH_REQUIRED') ||
    isApiRequestError(error, 'SESSION_EXPIRED') ||
    isApiRequestError(error, 'PASSWORD_CHANGE_REQUIRED') ||
    isApiRequestError(error, 'SECOND_FACTOR_REQUIRED')
  )
}
