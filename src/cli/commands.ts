// Each command imports what it runs only when it runs: `lightbox --help` must not load sharp,
// graphql and the database first (that cost seconds at every start).
import type { Config } from '../config.ts';
import { LightboxError } from '../errors.ts';
import type { CommandSpec } from './usage.ts';

export interface CommandInput {
  positionals: string[];
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  config: Config;
}

export interface Command extends CommandSpec {
  run(input: CommandInput): Promise<number>;
}

export function usageError(message: string): LightboxError {
  return new LightboxError('USAGE', message);
}

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** Every command the `lightbox` binary has, in the order its help lists them. */
export const COMMANDS: Command[] = [
  {
    name: 'serve',
    summary: 'run the server (the default command)',
    usage: 'lightbox serve',
    details:
      'Serves GraphQL at /graphql (GraphiQL in a browser), images at /images/… and health at /healthz\n' +
      'from the data dir, in LIGHTBOX_PROCESSES processes on one port (default: one per core), one of\n' +
      'which processes new photos unless LIGHTBOX_WORKERS=0. One server per data dir: a second one\n' +
      'says which process holds it and exits.',
    options: {},
    examples: ['npm start', 'PORT=8080 LIGHTBOX_DATA_DIR=/srv/photos lightbox serve', 'LIGHTBOX_PROCESSES=1 lightbox serve'],
    parse: HELP_OPTION,
    positionals: { min: 0, max: 0 },
    run: async ({ config }) => {
      const [{ serve }, { createLogger }] = await Promise.all([import('./serve.ts'), import('../log.ts')]);
      await serve(config, createLogger(config.logLevel));
      return 0;
    },
  },
  {
    name: 'import',
    summary: 'import every image under a folder; each folder becomes an album',
    usage: 'lightbox import <folder> [--album <title>] [--public] [--concurrency <n>] [--init]',
    details:
      'Every image under <folder> is stored once (by content) and queued for processing; each folder\n' +
      'becomes an album named by its path below <folder> (2023/summer), <folder> itself by its name,\n' +
      'or all go into --album. Albums are private unless --public, which also publishes an album that\n' +
      'already exists. Re-running imports only what is new.',
    options: {
      '--album <title>': { description: 'put every photo into this album instead of one per folder' },
      '--public': { description: 'make the albums public (anyone can see them); existing ones too' },
      '--concurrency <n>': { description: 'files read and decoded at once, 1 to 32 (default 2)' },
      '--init': { description: 'make a new library in LIGHTBOX_DATA_DIR if there is none (else that is refused)' },
    },
    examples: ['lightbox import ~/Pictures/2024', 'lightbox import ./trip --album "Lisbon 2024" --public'],
    parse: {
      ...HELP_OPTION,
      album: { type: 'string' },
      public: { type: 'boolean' },
      concurrency: { type: 'string' },
      init: { type: 'boolean' },
    },
    positionals: { min: 1, max: 1 },
    run: async ({ positionals, values, config }) => {
      const concurrency = values.concurrency === undefined ? 2 : Number(values.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
        throw usageError('--concurrency must be a whole number from 1 to 32');
      }
      const { importCommand } = await import('./import.ts');
      return importCommand(config, {
        dir: positionals[0] as string,
        album: values.album as string | undefined,
        public: values.public === true,
        concurrency,
        init: values.init === true,
      });
    },
  },
  {
    name: 'album',
    summary: 'list albums, publish or unpublish one',
    usage: 'lightbox album list | lightbox album publish <title or id> | lightbox album unpublish <title or id>',
    details:
      'list shows every album with its visibility, photo count and id. publish makes an album and its\n' +
      'photos visible to anyone; unpublish makes it private again and revokes every image URL handed\n' +
      'out for its photos (those in no other public album). An album is named by its title or its id.',
    options: {},
    examples: ['lightbox album list', 'lightbox album publish "Lisbon 2024"', 'lightbox album unpublish QWxidW06…'],
    parse: HELP_OPTION,
    positionals: { min: 1, max: 2 },
    run: async ({ positionals, config }) => {
      const [action, name] = positionals;
      const { listAlbumsCommand, setAlbumVisibilityCommand } = await import('./album.ts');
      if (action === 'list') {
        if (name !== undefined) throw usageError(`album list takes no argument (got "${name}")`);
        return listAlbumsCommand(config);
      }
      if (action !== 'publish' && action !== 'unpublish') {
        throw usageError(`album needs list, publish or unpublish (got "${action}")`);
      }
      if (name === undefined) throw usageError(`album ${action} needs the album's title or id`);
      return setAlbumVisibilityCommand(config, name, action === 'publish' ? 'PUBLIC' : 'PRIVATE');
    },
  },
  {
    name: 'share',
    summary: 'give one album to one person: make, list or revoke share links',
    usage:
      'lightbox share <album> [--expires <7d|date>] [--password] [--allow-originals] [--hide-metadata] [--show-location] [--label <text>] | lightbox share --list | lightbox share --revoke <id>',
    details:
      'Makes a link (/s/<token>) that opens one album, its photos and their images to whoever holds it,\n' +
      'and prints it once: only a hash of the token is kept. --password asks for a password (or reads\n' +
      'the first line of stdin); holders then unlock the link once. --list shows every link with its\n' +
      'state and views; --revoke ends one at once, image URLs handed out under it included. An album\n' +
      'is named by its title or its id.',
    options: {
      '--expires <when>': { description: 'stop working after a duration (30m, 12h, 7d, 2w) or at a date (2026-12-31)' },
      '--password': { description: 'protect the link with a password, asked for (not an argument)' },
      '--allow-originals': { description: 'let holders download full-size images (never with metadata)' },
      '--hide-metadata': { description: 'hide camera, lens, exposure and capture time' },
      '--show-location': { description: "show where the album's photos were taken (hidden by default)" },
      '--label <text>': { description: 'who or what the link is for, shown in --list' },
      '--list': { description: 'list every link, ended ones too (never their tokens)' },
      '--revoke <id>': { description: 'end the link with this id (from --list)' },
    },
    examples: [
      'lightbox share "Lisbon 2024" --expires 7d --label "for Ann"',
      'lightbox share "Lisbon 2024" --password',
      'lightbox share --list',
      'lightbox share --revoke U2hhcmVMaW5rOi…',
    ],
    parse: {
      ...HELP_OPTION,
      expires: { type: 'string' },
      password: { type: 'boolean' },
      'allow-originals': { type: 'boolean' },
      'hide-metadata': { type: 'boolean' },
      'show-location': { type: 'boolean' },
      label: { type: 'string' },
      list: { type: 'boolean' },
      revoke: { type: 'string' },
    },
    positionals: { min: 0, max: 1 },
    run: async ({ positionals, values, config }) => {
      const [album] = positionals;
      const modes = [album !== undefined, values.list === true, values.revoke !== undefined].filter(Boolean).length;
      if (modes !== 1) throw usageError('share needs exactly one of: an album, --list, --revoke <id>');
      const { createShareCommand, listSharesCommand, revokeShareCommand } = await import('./share.ts');
      if (values.list === true) return listSharesCommand(config);
      if (typeof values.revoke === 'string') return revokeShareCommand(config, values.revoke);
      return createShareCommand(config, album as string, {
        expires: values.expires as string | undefined,
        password: values.password === true,
        allowOriginals: values['allow-originals'] === true,
        hideMetadata: values['hide-metadata'] === true,
        showLocation: values['show-location'] === true,
        label: values.label as string | undefined,
      });
    },
  },
  {
    name: 'worker',
    summary: 'process queued photos in this process, beside a server or instead of its worker',
    usage: 'lightbox worker',
    details:
      "Takes photo jobs from the data dir's queue (LIGHTBOX_WORKERS at a time) until SIGTERM or SIGINT\n" +
      'hands them back. Run it beside a server started with LIGHTBOX_WORKERS=0 to process elsewhere.',
    options: {},
    examples: ['LIGHTBOX_WORKERS=4 lightbox worker'],
    parse: HELP_OPTION,
    positionals: { min: 0, max: 0 },
    run: async ({ config }) => {
      const [{ workerCommand }, { createLogger }] = await Promise.all([import('./worker.ts'), import('../log.ts')]);
      await workerCommand(config, createLogger(config.logLevel));
      return 0;
    },
  },
  {
    name: 'migrate',
    summary: 'apply database migrations and exit',
    usage: 'lightbox migrate [--init]',
    details: 'Brings the database in the data dir up to date (serve does this too, at start).',
    options: { '--init': { description: 'make a new library in LIGHTBOX_DATA_DIR if there is none (else that is refused)' } },
    examples: ['lightbox migrate', 'LIGHTBOX_DATA_DIR=/srv/photos lightbox migrate --init'],
    parse: { ...HELP_OPTION, init: { type: 'boolean' } },
    positionals: { min: 0, max: 0 },
    run: async ({ config, values }) => {
      const [{ openStore }, { WITH_INIT }] = await Promise.all([import('../storage/open-store.ts'), import('./library-notice.ts')]);
      const store = await openStore(config, { create: values.init === true, missingHint: WITH_INIT });
      store.close();
      process.stdout.write(
        `${store.created ? 'Made a new library' : 'The library'} in ${store.layout.dataDir}: the database is up to date.\n`,
      );
      return 0;
    },
  },
  {
    name: 'backup',
    summary: 'back up the whole library (database, originals, secret) into a folder',
    usage: 'lightbox backup <folder>',
    details:
      "Writes a complete, consistent snapshot while the server runs: the database through SQLite's\n" +
      'online backup, every original (hard links on the same file system, copies otherwise), the\n' +
      'secret and admin token, and manifest.json with counts and the SHA-256 of every original.\n' +
      'Backing up into the same folder again adds only new originals. Renditions are left out:\n' +
      'they are made again from the originals.',
    options: {},
    examples: ['lightbox backup /backups/lightbox', '0 3 * * * cd /srv/lightbox && npx lightbox backup /backups/lightbox  # cron, nightly'],
    parse: HELP_OPTION,
    positionals: { min: 1, max: 1 },
    run: async ({ positionals, config }) => (await import('./backup.ts')).backupCommand(config, positionals[0] as string),
  },
  {
    name: 'restore',
    summary: 'restore a backup folder into a new, empty data dir',
    usage: 'lightbox restore <folder>',
    details:
      'Checks the whole backup first (database integrity, every original against its size and\n' +
      'SHA-256) and restores nothing if anything is wrong. The data dir (LIGHTBOX_DATA_DIR) must not\n' +
      'exist yet or be empty; a library is never overwritten.',
    options: {},
    examples: ['LIGHTBOX_DATA_DIR=/srv/lightbox/data lightbox restore /backups/lightbox'],
    parse: HELP_OPTION,
    positionals: { min: 1, max: 1 },
    run: async ({ positionals, config }) => (await import('./backup.ts')).restoreCommand(config, positionals[0] as string),
  },
  {
    name: 'storage',
    summary: 'move the photos into an S3-compatible bucket, or back to the data dir',
    usage: 'lightbox storage migrate --to <s3://bucket[/prefix] | local>',
    details:
      'Copies every original and current rendition of the library in LIGHTBOX_DATA_DIR to the other\n' +
      'storage, each copy read back and checked by SHA-256, then records it: the next start needs\n' +
      'LIGHTBOX_STORAGE set to it. Killed, a second run copies only what is missing. The bucket is\n' +
      'reached with LIGHTBOX_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION.\n' +
      'Refused while a server runs on the data dir; stop any `lightbox worker` too. Nothing is deleted.',
    options: { '--to <where>': { description: 's3://bucket or s3://bucket/prefix, or local (the data dir)' } },
    examples: [
      'LIGHTBOX_S3_ENDPOINT=https://s3.eu-central-003.backblazeb2.com lightbox storage migrate --to s3://my-photos/lightbox',
      'lightbox storage migrate --to local',
    ],
    parse: { ...HELP_OPTION, to: { type: 'string' } },
    positionals: { min: 1, max: 1 },
    run: async ({ positionals, values, config }) => {
      if (positionals[0] !== 'migrate') throw usageError(`storage needs migrate (got "${positionals[0]}")`);
      if (typeof values.to !== 'string') throw usageError('storage migrate needs --to s3://bucket[/prefix] or --to local');
      return (await import('./storage.ts')).migrateStorageCommand(config, values.to);
    },
  },
  {
    name: 'verify',
    summary: 'check that every photo has its original, intact, and no file is orphaned (or check a backup)',
    usage: 'lightbox verify [<backup folder>]',
    details:
      'Reads every original of the data dir and checks it against its photo (size and SHA-256), checks\n' +
      'the database, and lists files under originals/ no photo refers to. Given a backup folder, checks\n' +
      'it against its manifest instead, writing nothing. Exits 1 on any damage.',
    options: {},
    examples: ['lightbox verify', 'lightbox verify /backups/lightbox'],
    parse: HELP_OPTION,
    positionals: { min: 0, max: 1 },
    run: async ({ positionals, config }) => (await import('./backup.ts')).verifyCommand(config, positionals[0]),
  },
];
