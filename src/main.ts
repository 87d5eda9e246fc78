import { parseArgs } from 'node:util';
import { backupCommand } from './cli/backup.ts';
import { importCommand } from './cli/import.ts';
import { serve } from './cli/serve.ts';
import { workerCommand } from './cli/worker.ts';
import { loadConfig } from './config.ts';
import { ERRORS, LightboxError } from './errors.ts';
import { createLogger } from './log.ts';
import { openStore } from './storage/open-store.ts';

const USAGE = `Usage: lightbox [command] [options]

Commands:
  serve                         run the server (default)
  worker                        process queued photos in this process (beside a server, or instead
                                of its in-process worker when LIGHTBOX_WORKERS=0 there)
  import <dir> [--album <title>] [--public] [--concurrency <n>]
                                import every image under <dir>; each folder becomes an
                                album named after it unless --album names one
  migrate                       apply database migrations and exit
  backup <file>                 write an online backup of the database to <file>
  help                          show this text

Configuration comes from the environment: PORT, HOST, LIGHTBOX_DATA_DIR, LIGHTBOX_ADMIN_TOKEN,
LIGHTBOX_SECRET, LIGHTBOX_WORKERS, LOG_LEVEL and the other LIGHTBOX_* settings (see README.md).
`;

function usageError(message: string): LightboxError {
  return new LightboxError('USAGE', message);
}

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      album: { type: 'string' },
      public: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command = 'serve', ...rest] = positionals;
  if (values.help || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'serve':
      await serve(config, createLogger(config.logLevel));
      return 0;
    case 'import': {
      if (rest.length !== 1 || rest[0] === undefined) throw usageError('import needs exactly one folder');
      const concurrency = values.concurrency === undefined ? 2 : Number(values.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
        throw usageError('--concurrency must be a whole number from 1 to 32');
      }
      return importCommand(config, { dir: rest[0], album: values.album, public: values.public, concurrency });
    }
    case 'worker':
      await workerCommand(config, createLogger(config.logLevel));
      return 0;
    case 'migrate': {
      const { database } = await openStore(config);
      database.close();
      process.stdout.write(`Database at ${config.dataDir} is up to date.\n`);
      return 0;
    }
    case 'backup':
      if (rest.length !== 1 || rest[0] === undefined) throw usageError('backup needs exactly one target file');
      return backupCommand(config, rest[0]);
    default:
      throw usageError(`unknown command "${command}"`);
  }
}

try {
  const code = await run(process.argv.slice(2));
  if (code !== 0) process.exitCode = code;
} catch (error) {
  const parseArgsError = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
  if (error instanceof LightboxError && error.code === 'CONFIG') {
    process.stderr.write(`lightbox: configuration error: ${error.message}\n`);
    process.exitCode = ERRORS.CONFIG.exitCode;
  } else if ((error instanceof LightboxError && error.code === 'USAGE') || parseArgsError) {
    process.stderr.write(`lightbox: ${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = ERRORS.USAGE.exitCode;
  } else if (error instanceof LightboxError && error.code === 'IMPORT_SOURCE') {
    process.stderr.write(`lightbox: import: ${error.message}\n`);
    process.exitCode = ERRORS.IMPORT_SOURCE.exitCode;
  } else if ((error as { code?: string }).code === 'EADDRINUSE') {
    process.stderr.write(`lightbox: PORT: ${(error as Error).message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
