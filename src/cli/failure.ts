import { ERRORS, LightboxError } from '../errors.ts';

export interface Failure {
  message: string;
  exitCode: number;
}

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
  hostname?: string;
  address?: string;
  port?: number;
}

const READABLE_CODES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  ENOENT: 'does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EISDIR: 'is a folder',
};

/** A command line naming an album or a link that is not there: the failure points to the list, not the command's help. */
export class NothingNamedError extends LightboxError {
  constructor(
    message: string,
    /** Where the names are, as a command: "`lightbox album list`". */
    readonly lookIn: string,
  ) {
    super('USAGE', message);
  }
}

/**
 * The one line `lightbox` prints for a failure, and its exit code: what is wrong, in the terms
 * a user set (PORT, HOST, a path), and what to do. Stack traces are for LOG_LEVEL=debug.
 */
export function failureLine(error: unknown, command: string | undefined): Failure {
  const help = command === undefined ? '`lightbox --help`' : `\`lightbox ${command} --help\``;
  if (error instanceof LightboxError) {
    if (error.code === 'USAGE') {
      const see = error instanceof NothingNamedError ? error.lookIn : help;
      return { message: `${error.message} (see ${see})`, exitCode: ERRORS.USAGE.exitCode };
    }
    if (error.code === 'CONFIG') return { message: `configuration error: ${error.message}`, exitCode: ERRORS.CONFIG.exitCode };
    const exitCode = 'exitCode' in ERRORS[error.code] ? (ERRORS[error.code] as { exitCode: number }).exitCode : 1;
    return { message: command === undefined ? error.message : `${command}: ${error.message}`, exitCode };
  }
  const system = error as SystemError;
  const code = system.code ?? '';
  if (code.startsWith('ERR_PARSE_ARGS')) {
    const option = /'(-[^' ]+)/.exec(system.message)?.[1];
    const what =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option ${option ?? ''}`
        : code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
          ? 'unexpected argument'
          : (system.message.split('. ')[0] ?? system.message);
    return { message: `${what}${command === undefined ? '' : ` for ${command}`} (see ${help})`, exitCode: ERRORS.USAGE.exitCode };
  }
  // `bind`: one of several server processes, whose supervisor binds the port for them (node:cluster).
  if (['listen', 'bind', 'getaddrinfo'].includes(system.syscall ?? '') || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    if (code === 'EADDRINUSE') {
      return {
        message: `PORT ${system.port ?? ''} is already in use on ${system.address ?? 'this machine'}: stop what holds it, or set PORT to a free port`,
        exitCode: 1,
      };
    }
    if (code === 'EACCES') {
      return { message: `PORT ${system.port ?? ''} needs privileges: use a port above 1023, or set PORT=0 for any free one`, exitCode: 1 };
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EADDRNOTAVAIL') {
      const host = system.hostname ?? system.address ?? '';
      return {
        message: `HOST=${host} is not an address of this machine (${code}): set HOST to one it has, such as 127.0.0.1 or 0.0.0.0`,
        exitCode: 1,
      };
    }
  }
  if (system.path !== undefined && code in READABLE_CODES) {
    return { message: `${system.path}: ${READABLE_CODES[code]} (${system.syscall ?? code})`, exitCode: 1 };
  }
  return { message: `unexpected error: ${system.message ?? String(error)} (LOG_LEVEL=debug shows where)`, exitCode: 1 };
}
