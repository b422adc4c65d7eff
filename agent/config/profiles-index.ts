// Profiles are embedded so the bundle runs with nothing beside it. Add a board: add its JSON
// file to hardware-profiles/ and one line here.
import bpiR3 from '../../hardware-profiles/bpi-r3.json' with { type: 'json' }
import bpiR4 from '../../hardware-profiles/bpi-r4.json' with { type: 'json' }
import e8450 from '../../hardware-profiles/e8450.json' with { type: 'json' }
import generic from '../../hardware-profiles/generic.json' with { type: 'json' }
import glMt6000 from '../../hardware-profiles/gl-mt6000.json' with { type: 'json' }
import ipq40xx from '../../hardware-profiles/ipq40xx.json' with { type: 'json' }
import meshboxMaxwell from '../../hardware-profiles/meshbox-maxwell.json' with { type: 'json' }
import nanopiR4s from '../../hardware-profiles/nanopi-r4s.json' with { type: 'json' }
import rpi4 from '../../hardware-profiles/rpi4.json' with { type: 'json' }
import x8664Lab from '../../hardware-profiles/x86-64-lab.json' with { type: 'json' }

export const PROFILES: Readonly<Record<string, unknown>> = {
  'bpi-r3': bpiR3,
  'bpi-r4': bpiR4,
  e8450,
  generic,
  'gl-mt6000': glMt6000,
  ipq40xx,
  'meshbox-maxwell': meshboxMaxwell,
  'nanopi-r4s': nanopiR4s,
  rpi4,
  'x86-64-lab': x8664Lab
}

/** Chosen on OpenWrt when the board matches no profile. */
export const GENERIC_PROFILE_ID = 'generic'
/** Chosen off OpenWrt when the profile is 'auto'. */
export const DESKTOP_PROFILE_ID = 'x86-64-lab'
