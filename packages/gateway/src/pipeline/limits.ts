import type { IncomingMessage } from 'node:http';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';
import type { Stage } from './data-plane.js';

const TOO_LARGE: Problem = problem('headers-too-large');

/**
 * A route's header limit, below the listener's global one (which Node enforces while parsing). Counted as
 * on the wire: `name: value\r\n` per field.
 */
export function createHeaderLimitStage(maxHeaderBytes: number): Stage {
  return function limitHeaders(req: IncomingMessage): Problem | undefined {
    const raw = req.rawHeaders;
    let size = 0;
    for (let i = 0; i < raw.length; i += 2) size += (raw[i] as string).length + (raw[i + 1] as string).length + 4;
    return size > maxHeaderBytes ? TOO_LARGE : undefined;
  };
}
