// `lke-rotator`: the operator CLI over the HTTP API (README, "The operator CLI").
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  tty: Boolean(process.stdout.isTTY),
});
