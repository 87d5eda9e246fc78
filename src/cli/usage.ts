import type { ParseArgsConfig } from 'node:util';

/** One `lightbox <command>`: how it is called, what it does, and examples a person can paste. */
export interface CommandHelp {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** `lightbox import <dir> [--album <title>] …` */
  usage: string;
  /** Paragraphs after the usage line. */
  details: string;
  options: Record<string, { description: string }>;
  examples: string[];
}

export interface CommandSpec extends CommandHelp {
  parse: NonNullable<ParseArgsConfig['options']>;
  /** How many positional arguments it takes, and what they are called in errors. */
  positionals: { min: number; max: number };
}

const ENVIRONMENT = `Configuration comes from the environment: PORT, HOST, LIGHTBOX_DATA_DIR, LIGHTBOX_ADMIN_TOKEN,
LIGHTBOX_SECRET, LIGHTBOX_WORKERS, LOG_LEVEL and the other LIGHTBOX_* settings (see README.md).`;

export function globalHelp(commands: readonly CommandHelp[]): string {
  const width = Math.max(...commands.map((command) => command.name.length)) + 2;
  const list = commands.map((command) => `  ${command.name.padEnd(width)}${command.summary}`).join('\n');
  return `Usage: lightbox [command] [options]

Commands:
${list}
  ${'help'.padEnd(width)}this text; \`lightbox <command> --help\` for one command

${ENVIRONMENT}
`;
}

export function commandHelp(command: CommandHelp): string {
  const options = Object.entries(command.options);
  const width = Math.max(0, ...options.map(([flag]) => flag.length)) + 2;
  return [
    `Usage: ${command.usage}`,
    '',
    command.details,
    ...(options.length === 0 ? [] : ['', 'Options:', ...options.map(([flag, option]) => `  ${flag.padEnd(width)}${option.description}`)]),
    '',
    'Examples:',
    ...command.examples.map((example) => `  ${example}`),
    '',
    ENVIRONMENT,
    '',
  ].join('\n');
}
