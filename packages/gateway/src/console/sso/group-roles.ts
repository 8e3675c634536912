import { CONSOLE_ROLES } from '../../accounts/model.js';
import type { ConsoleRole } from '../../accounts/model.js';

/**
 * The highest role that any of the person's groups maps to, or undefined when none does (refused: no
 * group, no way in). Group names are compared exactly, as IdPs send them.
 */
export function roleForGroups(groups: readonly string[], mapping: Readonly<Record<string, ConsoleRole>>): ConsoleRole | undefined {
  let best: number | undefined;
  for (const group of groups) {
    const role = Object.hasOwn(mapping, group) ? mapping[group] : undefined;
    if (role === undefined) continue;
    const rank = CONSOLE_ROLES.indexOf(role);
    if (best === undefined || rank < best) best = rank;
  }
  return best === undefined ? undefined : CONSOLE_ROLES[best];
}

/** A claim or attribute as a list of group names: IdPs send one value as a string, several as a list. */
export function groupList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}
