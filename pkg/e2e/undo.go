package e2e

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/undo"
)

// UndoFunction is the function that takes repairs back; people invoke it
// (no rule), so Replay never does.
const UndoFunction = "undo"

// UndoOutcome is one invocation of the undo function.
type UndoOutcome struct {
	Request    undo.Request
	Invocation *Invocation
	// Result is the response decoded; nil when the function returned an error.
	Result *undo.Result
	// Writes are the writes the account received during the invocation.
	Writes []awssim.Write
}

// Undo invokes the undo function with req, as `aws lambda invoke` would,
// and collects what it wrote. A handler error is in Invocation.Err.
func (s *Session) Undo(ctx context.Context, req undo.Request) (*UndoOutcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.function(ctx, UndoFunction)
	if err != nil {
		return nil, err
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	w0 := len(s.Account.Writes())
	o := &UndoOutcome{Request: req}
	if o.Invocation, err = f.Invoke(ctx, payload); err != nil {
		return o, fmt.Errorf("e2e: undo %s: %w", req.Action, err)
	}
	o.Writes = s.Account.Writes()[w0:]
	if o.Invocation.Err() == nil {
		var res undo.Result
		if err := json.Unmarshal(o.Invocation.Body, &res); err != nil {
			return o, fmt.Errorf("e2e: undo %s: the response is not an undo result: %w", req.Action, err)
		}
		o.Result = &res
	}
	return o, nil
}
