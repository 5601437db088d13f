// Several watchers of one FTP client: the session's tracker first, then the command's own (a
// --verbose log, a progress bar). Each event goes to every observer that listens for it.
import type { FtpObserver } from '../ftp/index.js';

export function combineObservers(...observers: Array<FtpObserver | undefined>): FtpObserver {
  const present = observers.filter((o): o is FtpObserver => o !== undefined);
  const each = <K extends keyof FtpObserver>(name: K) =>
    ((...args: unknown[]) => {
      for (const observer of present) (observer[name] as ((...a: unknown[]) => void) | undefined)?.(...args);
    }) as NonNullable<FtpObserver[K]>;
  return {
    onConnection: each('onConnection'),
    onCommand: each('onCommand'),
    onReply: each('onReply'),
    onNote: each('onNote'),
    onDataStart: each('onDataStart'),
    onDataProgress: each('onDataProgress'),
    onDataEnd: each('onDataEnd'),
  };
}
