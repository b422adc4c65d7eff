/**
 * What a role name may be, shared by the configuration check (`services.roles`) and the check of
 * announcements from other boxes, so a box can never announce what its peers would refuse.
 */

/** Lower-case words joined by dashes, like a DNS label: "uplink-gateway", "monitor". */
export const ROLE_PATTERN = /^[a-z][a-z0-9-]{0,31}$/
export const MAX_ROLES = 16

/** What is wrong with a list of roles, or undefined when it is fine. */
export function checkRoles (value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'must be a list of role names'
  if (value.length > MAX_ROLES) return `at most ${MAX_ROLES} roles`
  const seen = new Set<string>()
  for (const r of value) {
    if (typeof r !== 'string' || !ROLE_PATTERN.test(r)) {
      return `role ${JSON.stringify(r)?.slice(0, 40) ?? String(r)} must match ${ROLE_PATTERN.source} (lower case, digits, dashes; 1-32 characters)`
    }
    if (seen.has(r)) return `role "${r}" is listed twice`
    seen.add(r)
  }
  return undefined
}
