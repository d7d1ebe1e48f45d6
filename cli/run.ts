// Runs one CLI invocation and turns every outcome into an exit code: 0 ok, 1 refused or failed,
// 2 usage. Errors print as one line with the API's own message, never a stack trace.
import { CommanderError } from 'commander';
import { CliError } from './http.js';
import { buildProgram, type CliIo } from './program.js';

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => { exitCode = code; });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed the message (and the usage hint)
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version' ? 0 : 2;
    }
    if (err instanceof CliError) {
      io.err(`error: ${err.message}`);
      if (err.exitCode === 2) io.err('(run with --help for usage)');
      return err.exitCode;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
