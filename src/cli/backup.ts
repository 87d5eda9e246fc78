import path from 'node:path';
import type { Config } from '../config.ts';
import { backupLibrary, checkBackup, checkLibrary, type Problem, readManifest, restoreLibrary } from '../storage/backup.ts';
import { openStore } from '../storage/open-store.ts';

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** What a long command cost, as its last line says: operators schedule backups and verifies by it, and a growing RSS would show. */
function costSince(startedMs: number): string {
  const seconds = (performance.now() - startedMs) / 1000;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  return `in ${seconds.toFixed(1)} s, peak RSS ${Math.round(peakRss / 1024 / 1024)} MB`;
}

function listProblems(problems: readonly Problem[], limit = 20, count = problems.length): string {
  const shown = problems.slice(0, limit).map((problem) => `  ${problem.file}: ${problem.problem}\n`);
  return shown.join('') + (count > limit ? `  … and ${count - limit} more\n` : '');
}

/** `lightbox backup <folder>`: database, originals, secret and manifest; safe while the server runs. */
export async function backupCommand(config: Config, target: string): Promise<number> {
  const started = performance.now();
  const store = await openStore(config, { create: false });
  try {
    const report = await backupLibrary(store, target);
    const backupDir = path.resolve(target);
    if (report.interrupted > 0) {
      process.stdout.write(
        `Removed ${report.interrupted} unfinished snapshots an interrupted backup left in ${backupDir} (the originals it had added are kept).\n`,
      );
    }
    if (report.missing.length > 0) {
      const current = report.snapshot === undefined ? 'the folder holds no complete backup yet' : `${report.snapshot} stays current`;
      process.stderr.write(
        `lightbox: backup: ${report.missing.length} originals vanished while backing up (photos deleted meanwhile?); ` +
          `this snapshot was not switched in (${current}); run it again:\n` +
          listProblems(report.missing.map((file) => ({ file, problem: 'missing' }))),
      );
      return 1;
    }
    const added = report.added.linked + report.added.copied;
    process.stdout.write(
      `Backed up ${report.photos} photos in ${report.albums} albums (${megabytes(report.bytes)} of originals) to ${backupDir}\n` +
        `  ${added} originals added this time (${report.added.linked} hard-linked, ${report.added.copied} copied), the rest were there already.\n` +
        `  ${report.snapshot} is now current${report.first ? '' : '; the snapshot before it is kept until the next run'}.\n` +
        `Done ${costSince(started)}.\n`,
    );
    return 0;
  } finally {
    store.close();
  }
}

/** `lightbox restore <folder>`: into an empty LIGHTBOX_DATA_DIR, only when the whole backup checks out. */
export async function restoreCommand(config: Config, source: string): Promise<number> {
  const backupDir = path.resolve(source);
  const { manifest, problems } = await restoreLibrary(backupDir, config.dataDir, config.storage);
  if (problems.length > 0) {
    process.stderr.write(
      `lightbox: restore: the backup in ${backupDir} is damaged; nothing was restored (${problems.length} problems):\n${listProblems(problems)}`,
    );
    return 1;
  }
  process.stdout.write(
    `Restored ${manifest.counts.photos} photos in ${manifest.counts.albums} albums (${megabytes(manifest.counts.bytes)}) ` +
      `from ${backupDir} (made ${manifest.createdAt}) into ${config.dataDir}` +
      `${config.storage.kind === 's3' ? `, the originals into ${config.storage.location}` : ''}.\n` +
      'Renditions are made again on first request (or by the worker); start the server with `lightbox serve`.\n',
  );
  return 0;
}

/** `lightbox verify <backup folder>`: the backup against its manifest, writing nothing. */
async function verifyBackupCommand(source: string): Promise<number> {
  const started = performance.now();
  const backupDir = path.resolve(source);
  const manifest = await readManifest(backupDir);
  const problems = await checkBackup(backupDir, manifest);
  process.stdout.write(
    `Checked the backup in ${backupDir} (made ${manifest.createdAt}): ${manifest.counts.photos} photos, ${megabytes(manifest.counts.bytes)} of originals:\n`,
  );
  if (problems.length === 0) process.stdout.write('  every original is present and matches its SHA-256; the database is intact.\n');
  else process.stdout.write(`  ${problems.length} problems:\n${listProblems(problems)}`);
  process.stdout.write(`Done ${costSince(started)}.\n`);
  return problems.length === 0 ? 0 : 1;
}

/** `lightbox verify [<backup folder>]`: the data dir's originals against its database (or a backup's against its manifest), in one screen. */
export async function verifyCommand(config: Config, backupDir?: string): Promise<number> {
  if (backupDir !== undefined) return verifyBackupCommand(backupDir);
  const started = performance.now();
  const store = await openStore(config, { create: false });
  try {
    const check = await checkLibrary(store);
    process.stdout.write(`Checked ${check.photos} photos (${megabytes(check.bytes)} of originals) in ${config.dataDir}:\n`);
    const { problems, orphans } = check;
    if (problems.count === 0) process.stdout.write('  every original is present and matches its SHA-256; the database is intact.\n');
    else process.stdout.write(`  ${problems.count} problems:\n${listProblems(problems.listed, 20, problems.count)}`);
    if (orphans.count === 0) process.stdout.write('  no original is left without its photo.\n');
    else {
      process.stdout.write(
        `  ${orphans.count} files under originals/ belong to no photo (the server removes them an hour after they appear):\n` +
          listProblems(
            orphans.listed.map((file) => ({ file, problem: 'no photo refers to it' })),
            20,
            orphans.count,
          ),
      );
    }
    if (check.staleTemps.length === 0) process.stdout.write('  no temp file is left in tmp/ by an interrupted write.\n');
    else {
      process.stdout.write(
        `  ${check.staleTemps.length} temp files in tmp/ were left by an interrupted upload, import or render ` +
          '(no running process writes them; the server removes them when it starts):\n' +
          listProblems(check.staleTemps.map((file) => ({ file, problem: 'its writer is gone' }))),
      );
    }
    process.stdout.write(`Done ${costSince(started)}.\n`);
    return problems.count === 0 ? 0 : 1;
  } finally {
    store.close();
  }
}
