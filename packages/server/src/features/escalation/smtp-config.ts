import { type Static, Type } from 'typebox'

/** The node config's `smtp`: where escalation e-mail goes. Without it, e-mail steps are skipped. */
export const SmtpConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    secure: Type.Optional(
      Type.Boolean({
        description: 'TLS from the first byte (port 465); otherwise STARTTLS when offered',
      }),
    ),
    from: Type.String({ minLength: 3, maxLength: 254, description: 'The sender address' }),
    auth: Type.Optional(
      Type.Object(
        { user: Type.String({ minLength: 1 }), pass: Type.String({ minLength: 1 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)
export type SmtpSettings = Static<typeof SmtpConfigSchema>
