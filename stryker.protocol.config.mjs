// Mutation testing of packages/protocol on its own unit tests: npm run test:mutation -- protocol
import { strykerConfig } from './scripts/stryker-base.mjs'

export default strykerConfig('protocol', ['packages/protocol/src/**/*.ts'])
