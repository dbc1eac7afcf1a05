/**
 * Whether a process with this pid exists (signal 0 only checks). EPERM means it exists under another
 * user. Used to clean up what dead processes left behind (partial conversions, KV state folders); a
 * reused pid keeps a stale file until that process is gone too.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
