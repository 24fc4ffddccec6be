import { Command } from 'commander'

/** A `parley` subcommand module: `commands/<name>.ts` exports `register`. */
export interface CommandModule {
  register(program: Command): void
}

/**
 * Builds the `parley` command tree. Modules load lazily so `parley verify` does not pay for
 * the server's dependencies; add one line below for a new command.
 */
export async function buildProgram(): Promise<Command> {
  const program = new Command('parley')
    .description('Parley: signed, hash-chained, federated lines of communication')
    .showHelpAfterError()
    // Commander exits 1 on a usage error, but 1 means "a check failed" for parley (verify,
    // audit verify): usage errors exit 2. Subcommands inherit this setting when created.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  const modules: CommandModule[] = await Promise.all([
    import('./commands/keys.ts'),
    import('./commands/verify.ts'),
    import('./commands/export.ts'),
    import('./commands/init.ts'),
    import('./commands/start.ts'),
    import('./commands/peer.ts'),
    import('./commands/demo.ts'),
    import('./commands/officer.ts'),
    import('./commands/audit.ts'),
    import('./commands/reindex.ts'),
    import('./commands/agreement.ts'),
    import('./commands/stix.ts'),
    import('./commands/consent.ts'),
  ])
  for (const module of modules) module.register(program)
  return program
}
