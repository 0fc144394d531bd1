// The `lanewatch` executable (dist/cli.js). Kept apart from main.ts so tests can import main() without running it.
import { main } from './main';

// Exit once output is flushed: a gateway socket still closing must not hold the terminal.
const exit = (code: number) => process.stdout.write('', () => process.exit(code));
main(process.argv.slice(2)).then(exit, (err: Error) => {
  process.stderr.write(`lanewatch: ${err.stack ?? err.message}\n`);
  exit(1);
});
