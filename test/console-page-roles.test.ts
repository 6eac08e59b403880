import { describe, expect, it } from 'vitest';
import { canSeePage } from '../web/admin/src/page-list.ts';

describe("the console's menu by role", () => {
  it('shows follower analytics to those the API lets read it (owner, operator, agent), not clerks', () => {
    expect(
      ['owner', 'operator', 'agent', 'clerk'].filter((role) => canSeePage('follower-stats', role)),
    ).toEqual(['owner', 'operator', 'agent']);
  });
});
