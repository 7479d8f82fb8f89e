import type { Publisher } from './publisher.js';

/**
 * Ends the stream for every viewer cleanly: each gets the rest of its queue, then the end of the body, so
 * a player sees the stream end rather than a broken connection. Resolves when the last viewer has gone,
 * or after `graceMs` with the slow ones still there (their owner then cuts them off).
 */
export async function endViewers(publisher: Publisher, graceMs: number): Promise<void> {
  publisher.end();
  if (publisher.viewerCount === 0) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      publisher.off('viewer-closed', onClosed);
      resolve();
    };
    const onClosed = (): void => {
      if (publisher.viewerCount === 0) done();
    };
    const timer = setTimeout(done, graceMs);
    publisher.on('viewer-closed', onClosed);
  });
}
