import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server'
import { ServerError } from '../../errors.ts'
import { audit } from '../audit/audit.service.ts'
import {
  advancePasskeyCounter,
  bumpPrivilegeEpoch,
  claimTotpStep,
  insertPasskey,
  type OfficerRow,
  type PasskeyRow,
  passkeysOf,
  spendRecoveryCode,
  unusedRecoveryCodes,
  updateOfficer,
} from './officers.repository.ts'
import { findOfficer, issueRecoveryCodes, type OfficersContext } from './officers.service.ts'
import {
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  type RelyingParty,
  type StoredPasskey,
  verifyPasskeyAssertion,
  verifyPasskeyRegistration,
} from './passkeys.ts'
import { recoveryCodeHash } from './secrets.ts'
import { newTotpSecret, totpStep, totpUri } from './totp.ts'

/** A second factor a pending login can be completed with. */
export type SecondFactor = 'totp' | 'passkey' | 'recovery'

/** The factors an officer can complete a login with; empty when none is enrolled. */
export async function secondFactorsOf(
  ctx: Pick<OfficersContext, 'db'>,
  row: OfficerRow,
): Promise<SecondFactor[]> {
  const passkeys = (await passkeysOf(ctx.db, row.id)).length
  if (row.totp_secret === null && passkeys === 0) return []
  const methods: SecondFactor[] = []
  if (row.totp_secret !== null) methods.push('totp')
  if (passkeys > 0) methods.push('passkey')
  if ((await unusedRecoveryCodes(ctx.db, row.id)) > 0) methods.push('recovery')
  return methods
}

/**
 * Starts TOTP enrolment: a new secret, kept pending until the officer proves a code of it, and
 * the `otpauth://` URI to show as a QR code. A second call replaces the pending secret.
 */
export async function beginTotpEnrolment(
  ctx: OfficersContext,
  officer: string,
): Promise<{ secret: string; uri: string }> {
  const row = await findOfficer(ctx.db, officer)
  const secret = newTotpSecret()
  await updateOfficer(ctx.db, row.id, { totp_pending_secret: secret, updated_at: ctx.now() })
  return { secret, uri: totpUri({ issuer: `Parley ${row.party}`, label: row.username, secret }) }
}

/**
 * Confirms TOTP enrolment with a code of the pending secret, which then replaces any earlier
 * one. Returns fresh recovery codes when the officer had none left, else null.
 */
export async function confirmTotpEnrolment(
  ctx: OfficersContext,
  officer: string,
  code: string,
): Promise<{ recoveryCodes: string[] | null }> {
  const row = await findOfficer(ctx.db, officer)
  const pending = row.totp_pending_secret
  if (pending === null) {
    throw new ServerError('FACTOR_NOT_ENROLLED', { factor: 'pending authenticator enrolment' })
  }
  const now = ctx.now()
  const step = await totpStep(pending, code, now)
  if (step === null) throw new ServerError('TOTP_INVALID')
  return ctx.db.transaction().execute(async (trx) => {
    await updateOfficer(trx, row.id, {
      totp_secret: pending,
      totp_pending_secret: null,
      // The enrolment code counts as used: it cannot log anyone in afterwards.
      totp_last_step: step,
      updated_at: now,
    })
    await bumpPrivilegeEpoch(trx, row.id, now)
    await audit(trx, { time: now, action: 'factor.totp.enrol', officer: row.id, party: row.party })
    const recoveryCodes =
      (await unusedRecoveryCodes(trx, row.id)) === 0
        ? await issueRecoveryCodes(trx, row, now)
        : null
    return { recoveryCodes }
  })
}

/**
 * Checks a TOTP code for a login: valid within one step of the clock, and of a later step than
 * any code accepted before. Throws `TOTP_INVALID` or `TOTP_REPLAYED`.
 */
export async function checkTotp(
  ctx: OfficersContext,
  row: OfficerRow,
  code: string,
): Promise<void> {
  if (row.totp_secret === null) {
    throw new ServerError('FACTOR_NOT_ENROLLED', { factor: 'authenticator app (TOTP)' })
  }
  const step = await totpStep(row.totp_secret, code, ctx.now())
  if (step === null) throw new ServerError('TOTP_INVALID')
  if (row.totp_last_step !== null && step <= row.totp_last_step) {
    throw new ServerError('TOTP_REPLAYED')
  }
  if (!(await claimTotpStep(ctx.db, row.id, step))) throw new ServerError('TOTP_REPLAYED')
}

function stored(row: PasskeyRow): StoredPasskey {
  return { id: row.id, publicKey: row.public_key, counter: row.counter, transports: row.transports }
}

/** Options to register a passkey; the caller keeps `options.challenge` for the answer. */
export async function beginPasskeyRegistration(
  ctx: OfficersContext,
  rp: RelyingParty,
  officer: string,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const row = await findOfficer(ctx.db, officer)
  const existing = await passkeysOf(ctx.db, row.id)
  return passkeyRegistrationOptions(
    rp,
    { id: row.id, username: row.username, displayName: row.display_name },
    existing.map(stored),
  )
}

/**
 * Verifies and stores a passkey registration answering `challenge`. Returns the passkey and,
 * when the officer had none left, fresh recovery codes.
 */
export async function finishPasskeyRegistration(
  ctx: OfficersContext,
  rp: RelyingParty,
  officer: string,
  response: RegistrationResponseJSON,
  challenge: string,
  name: string,
): Promise<{ passkey: { id: string; name: string }; recoveryCodes: string[] | null }> {
  const row = await findOfficer(ctx.db, officer)
  const passkey = await verifyPasskeyRegistration(rp, response, challenge)
  const now = ctx.now()
  return ctx.db.transaction().execute(async (trx) => {
    const taken = await trx
      .selectFrom('officer_passkeys')
      .select('id')
      .where('id', '=', passkey.id)
      .executeTakeFirst()
    if (taken !== undefined)
      throw new ServerError('PASSKEY_INVALID', { reason: 'already registered' })
    await insertPasskey(trx, {
      id: passkey.id,
      officer: row.id,
      public_key: passkey.publicKey,
      counter: passkey.counter,
      transports: passkey.transports,
      name,
      created_at: now,
      last_used_at: null,
    })
    await bumpPrivilegeEpoch(trx, row.id, now)
    await audit(trx, {
      time: now,
      action: 'factor.passkey.register',
      officer: row.id,
      party: row.party,
      details: { passkey: passkey.id, name },
    })
    const recoveryCodes =
      (await unusedRecoveryCodes(trx, row.id)) === 0
        ? await issueRecoveryCodes(trx, row, now)
        : null
    return { passkey: { id: passkey.id, name }, recoveryCodes }
  })
}

/** Options to log in with one of the officer's passkeys. */
export async function beginPasskeyLogin(
  ctx: OfficersContext,
  rp: RelyingParty,
  row: OfficerRow,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const passkeys = await passkeysOf(ctx.db, row.id)
  if (passkeys.length === 0) throw new ServerError('FACTOR_NOT_ENROLLED', { factor: 'passkey' })
  return passkeyAuthenticationOptions(rp, passkeys.map(stored))
}

/** Verifies a passkey assertion answering `challenge` and records its signature counter. */
export async function checkPasskey(
  ctx: OfficersContext,
  rp: RelyingParty,
  row: OfficerRow,
  response: AuthenticationResponseJSON,
  challenge: string,
): Promise<void> {
  const passkey = (await passkeysOf(ctx.db, row.id)).find((key) => key.id === response.id)
  if (passkey === undefined) {
    throw new ServerError('PASSKEY_INVALID', { reason: 'not a passkey of this officer' })
  }
  const counter = await verifyPasskeyAssertion(rp, response, challenge, stored(passkey))
  if (!(await advancePasskeyCounter(ctx.db, passkey.id, counter, ctx.now()))) {
    throw new ServerError('PASSKEY_INVALID', { reason: 'the signature counter did not increase' })
  }
}

/** Spends one recovery code; throws `RECOVERY_CODE_INVALID` when it is wrong or used. */
export async function useRecoveryCode(
  ctx: OfficersContext,
  row: OfficerRow,
  code: string,
): Promise<void> {
  const hash = await recoveryCodeHash(row.id, code)
  const now = ctx.now()
  if (!(await spendRecoveryCode(ctx.db, row.id, hash, now))) {
    throw new ServerError('RECOVERY_CODE_INVALID')
  }
  await audit(ctx.db, {
    time: now,
    action: 'factor.recovery.use',
    officer: row.id,
    party: row.party,
    details: { left: await unusedRecoveryCodes(ctx.db, row.id) },
  })
}

/** Replaces an officer's recovery codes with ten new ones (shown once). */
export async function regenerateRecoveryCodes(
  ctx: OfficersContext,
  officer: string,
): Promise<string[]> {
  const row = await findOfficer(ctx.db, officer)
  if ((await secondFactorsOf(ctx, row)).length === 0) {
    throw new ServerError('FACTOR_NOT_ENROLLED', { factor: 'second factor' })
  }
  return ctx.db.transaction().execute((trx) => issueRecoveryCodes(trx, row, ctx.now()))
}
