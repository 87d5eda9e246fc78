import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { WORLD_MAP_ASSET, worldMapSvg } from '../scripts/world-map.ts';

describe("the owner's map's land (src/http/library/assets/world.svg)", () => {
  it('is what scripts/world-map.ts makes from the installed world-atlas: run `npm run map:world` after upgrading it', () => {
    assert.equal(readFileSync(WORLD_MAP_ASSET, 'utf8'), worldMapSvg());
  });
});
