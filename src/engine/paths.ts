/**
 * Node paths: the durable identity of every record. A path lists node names from the
 * top of the workflow down, with a loop iteration or forEach item index as a number
 * after its node's name: `["validate"]`, `["fetch", "user"]`, `["poll", 2, "check"]`,
 * `["send_emails", 17]`.
 * @module
 */
import type { NodePath } from "../core/types.js";

/** A stable string key of a path, for maps. */
export function pathKey(path: readonly (string | number)[]): string {
  return JSON.stringify(path);
}

/** The path of a child node under `parent`. */
export function childPath(parent: NodePath, ...segments: (string | number)[]): NodePath {
  return [...parent, ...segments];
}
