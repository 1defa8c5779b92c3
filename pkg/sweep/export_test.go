package sweep

import "time"

// SetBudgetClock makes s's time budget read the time from now, so that a
// test decides when the budget runs out instead of racing the wall clock.
func SetBudgetClock(s *Sweeper, now func() time.Time) { s.budgetClock = now }
