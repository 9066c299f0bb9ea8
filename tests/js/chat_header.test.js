// A group's header shows a count of its members and of those online, not their names: a list of
// names does not fit a group of a thousand (docs/client.md, "The conversation view").
import assert from "node:assert/strict";
import { test } from "node:test";

import { groupPresenceText } from "../../django_integration/tandem/static/tandem/chat.js";

test("a group's header counts its members, and those online when there are any", () => {
  assert.equal(groupPresenceText(3, 0), "3 members");
  assert.equal(groupPresenceText(3, 2), "3 members, 2 online");
  assert.equal(groupPresenceText(1000, 999), "1,000 members, 999 online");
  assert.equal(groupPresenceText(1, 0), "1 member");
});
