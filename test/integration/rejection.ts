// The failure a command or API call ends with, checked to be an Error that does not carry the token.
import assert from 'node:assert/strict';
import { SENTINEL_TOKEN } from '../sentinel';

export async function rejection(run: () => Thenable<unknown>): Promise<Error> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof Error, 'the command rejected with something that is not an Error');
    assert.ok(!error.message.includes(SENTINEL_TOKEN), 'the token leaked into an error message');
    return error;
  }
  assert.fail('the command resolved, but it should have failed');
}
