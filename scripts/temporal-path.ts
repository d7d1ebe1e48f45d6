// Prints the absolute path of a working Temporal CLI (or, with --test-server, of the time-skipping
// test server), installing it into the user cache first if needed. Only the path goes to stdout so
// that `"$(npm run -s temporal:path)" --version` works; progress and errors go to stderr.
import { resolveTemporalCli, resolveTestServer } from '../dev/binaries.js';

const wantTestServer = process.argv.slice(2).includes('--test-server');
try {
  const path = wantTestServer ? await resolveTestServer() : await resolveTemporalCli();
  process.stdout.write(`${path}\n`);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 1;
}
