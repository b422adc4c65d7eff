// Profiles are embedded so the bundle runs with nothing beside it. Add a board: add its JSON
// file to hardware-profiles/ and one line here.
import glMt6000 from '../../hardware-profiles/gl-mt6000.json' with { type: 'json' }
import x8664Lab from '../../hardware-profiles/x86-64-lab.json' with { type: 'json' }

export const PROFILES: Readonly<Record<string, unknown>> = {
  'gl-mt6000': glMt6000,
  'x86-64-lab': x8664Lab
}
