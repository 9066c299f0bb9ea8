// The client's body check agrees with the core's rule case by case: the same fixture the C++
// and Python tests read (tests/fixtures/core/frames.json), so the three cannot drift apart.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { bodyProblem } from "../../django_integration/tandem/static/tandem/core/body_rules.js";

const fixture = JSON.parse(readFileSync(new URL("../fixtures/core/frames.json", import.meta.url), "utf8"));
const MAX_BODY_CHARS = 4096; // the fixture's limit (the core's default)

for (const c of fixture.send) {
  if (c.error && c.error.field !== "body") continue; // chat and client_id are not the body's rule
  test(`body rule: ${c.name}`, () => {
    assert.equal(bodyProblem(c.body, MAX_BODY_CHARS), c.error ? c.error.code : null);
  });
}
