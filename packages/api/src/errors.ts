/** The API client's registry of stable error codes; each is documented in docs/errors.md. */
export const apiErrors = {
  RESPONSE_INVALID: {
    status: 502,
    message: 'The node answered {status} with a body the API does not define: {reason}',
  },
} as const satisfies Record<string, { status: number; message: string }>

export type ApiClientErrorCode = keyof typeof apiErrors
