import { parseArgs } from 'node:util';
import { COMMANDS, type Command, usageError } from './cli/commands.ts';
import { failureLine } from './cli/failure.ts';
import { commandHelp, globalHelp } from './cli/usage.ts';
import { loadConfig } from './config.ts';

/** A command line that names no command runs the server, as `npm start` does. */
const DEFAULT_COMMAND = 'serve';

function commandNamed(name: string): Command {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    throw usageError(`unknown command "${name}"; the commands are ${COMMANDS.map((known) => known.name).join(', ')}`);
  }
  return command;
}

async function run(argv: string[]): Promise<number> {
  const [first] = argv;
  if (first === undefined || first.startsWith('-')) {
    if (first === '--help' || first === '-h') {
      process.stdout.write(globalHelp(COMMANDS));
      return 0;
    }
    if (first !== undefined) throw usageError(`options come after the command, as in \`lightbox import <folder> --public\``);
  }
  if (first === 'help') {
    const topic = argv[1];
    process.stdout.write(topic === undefined ? globalHelp(COMMANDS) : commandHelp(commandNamed(topic)));
    return 0;
  }
  const command = commandNamed(first ?? DEFAULT_COMMAND);
  const { positionals, values } = parseArgs({ args: argv.slice(1), allowPositionals: true, strict: true, options: command.parse });
  if (values.help === true) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  if (positionals.length < command.positionals.min || positionals.length > command.positionals.max) {
    const extra =
      positionals.length > command.positionals.max ? ` (unexpected: ${positionals.slice(command.positionals.max).join(' ')})` : '';
    throw usageError(`usage: ${command.usage}${extra}`);
  }
  return command.run({ positionals, values, config: loadConfig() });
}

/** The command a command line names, when it names one that exists (failures say where to look for help). */
function commandOf(argv: string[]): string | undefined {
  const name = argv[0] ?? DEFAULT_COMMAND;
  return COMMANDS.some((command) => command.name === name) ? name : undefined;
}

// `lightbox share --list | head`: a reader that stops early is not a failure (a shell's tools exit quietly too).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const argv = process.argv.slice(2);
try {
  const code = await run(argv);
  if (code !== 0) process.exitCode = code;
} catch (error) {
  // Every failure is one line naming what is wrong and what to do; the stack only when asked for.
  const failure = failureLine(error, commandOf(argv));
  process.stderr.write(`lightbox: ${failure.message}\n`);
  if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exitCode = failure.exitCode;
}
