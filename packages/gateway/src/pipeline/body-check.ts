import type { Problem } from '../http/problems.js';

/** A body transform's refusal: the exchange is aborted and this problem answered, if headers are not yet sent. */
export class BodyRefused extends Error {
  readonly code = 'PORTCULLIS_BODY_REFUSED';
  constructor(readonly problem: Problem, message: string) {
    super(message);
  }
}
