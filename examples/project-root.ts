// Finds the repository's top folder from the built (dist/examples) or source (examples) location.

import { existsSync } from 'node:fs';
import * as path from 'node:path';

export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the examples');
    dir = parent;
  }
  return dir;
}

export function certPath(name: string): string {
  return path.join(projectRoot(), 'certs', name);
}
