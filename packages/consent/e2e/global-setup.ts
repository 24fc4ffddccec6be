import { buildConsent } from '../scripts/build.ts'

/** The browser tests load the bundle as the portal would: build it first (a second or so). */
export default async function setup(): Promise<void> {
  await buildConsent()
}
