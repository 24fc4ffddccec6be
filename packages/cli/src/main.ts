import { isProtocolError } from '@parley/protocol'
import { CliError } from './errors.ts'
import { buildProgram } from './program.ts'

// The one place that turns errors into exit codes: a clear message with its code, never a stack trace.
try {
  const program = await buildProgram()
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CliError || isProtocolError(error)) {
    process.stderr.write(`parley: ${error.code}: ${error.message}\n`)
    process.exitCode = error instanceof CliError ? error.status : 1
  } else if ((error as Error)?.name === 'ServerError') {
    // The node's own codes (an officer command refused by its rules), without loading the server here.
    process.stderr.write(
      `parley: ${(error as { code: string }).code}: ${(error as Error).message}\n`,
    )
    process.exitCode = 1
  } else {
    process.stderr.write(`parley: ${(error as Error)?.message ?? String(error)}\n`)
    process.exitCode = 1
  }
}
