package checks

import "slices"

// Only keeps the checks of defs whose ID is in ids, in catalogue order: the
// checks a drift event can affect.
func Only(defs []Definition, ids ...string) []Definition {
	var out []Definition
	for _, d := range defs {
		if slices.Contains(ids, d.ID) {
			out = append(out, d)
		}
	}
	return out
}
