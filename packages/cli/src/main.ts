import { CodedError } from '@parley/protocol'
import { CliError } from './errors.ts'
import { buildProgram } from './program.ts'

// The one place that turns errors into exit codes: a clear message with its code, never a stack trace.
try {
  const program = await buildProgram()
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CodedError) {
    // Protocol, node and CLI errors alike; only the CLI's own statuses are exit codes.
    process.stderr.write(`parley: ${error.code}: ${error.message}\n`)
    process.exitCode = error instanceof CliError ? error.status : 1
  } else {
    process.stderr.write(`parley: ${(error as Error)?.message ?? String(error)}\n`)
    process.exitCode = 1
  }
}
