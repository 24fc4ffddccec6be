// Vitest setup file of every project: one fast-check seed per run (support/seeds.ts), printed
// when it is a fresh one.
import fc from 'fast-check'
import { exploring, propertySeed } from './seeds.ts'

const seed = propertySeed()
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed })
if (exploring) console.info(`fast-check seed: ${seed}`)
