// Prints the absolute path of a Node 24 `node`, installing it into the user cache first if needed.
// Only the path goes to stdout, so that .ci/run can put its folder first on PATH; progress and
// errors go to stderr. Only `node` in that folder is usable (the wheel flattens npm's symlinks), so
// npm keeps coming from the machine and runs on Node 24 through PATH.
import { resolveNode24 } from '../dev/node.js';

try {
  process.stdout.write(`${await resolveNode24()}\n`);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 1;
}
