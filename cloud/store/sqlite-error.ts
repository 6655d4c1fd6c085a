import { ProviderError } from '../providers/provider-error.js';

/**
 * Turns whatever SQLite or the file system threw into a ProviderError, so the turn log can tell
 * "try again later" (full, busy, I/O) from "this store will not take writes" (read-only, unopenable).
 */
export function sqliteError(err: unknown, action: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : '';
  const detail = err instanceof Error ? err.message : String(err);
  const message = `${action}: ${detail}${code === '' ? '' : ` (${code})`}`;
  const options = (retryable: boolean) => ({ retryable, cause: err });

  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new ProviderError('store_full', message, options(true));
  }
  if (
    code.startsWith('SQLITE_BUSY') ||
    code.startsWith('SQLITE_LOCKED') ||
    code.startsWith('SQLITE_IOERR') ||
    ['EIO', 'EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE'].includes(code)
  ) {
    return new ProviderError('store_unavailable', message, options(true));
  }
  if (
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_CORRUPT') ||
    code.startsWith('SQLITE_NOTADB') ||
    code.startsWith('SQLITE_PERM') ||
    code.startsWith('SQLITE_AUTH') ||
    isSystemError(err) ||
    // better-sqlite3's own complaint about a closed connection has no code.
    (err instanceof TypeError && /not open/i.test(detail))
  ) {
    return new ProviderError('store_unavailable', message, options(false));
  }
  return new ProviderError('store_failed', message, options(false));
}

/** A Node file-system error (EACCES, EROFS, ENOTDIR, EEXIST...): the path cannot be used as it is. */
function isSystemError(err: unknown): boolean {
  return err instanceof Error && typeof (err as { syscall?: unknown }).syscall === 'string';
}
