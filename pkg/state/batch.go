package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Entry is one record of a batch put.
type Entry struct {
	Key     Key
	Record  any
	Expires time.Time // zero: never
}

// batchSize is BatchWriteItem's limit of requests per call.
const batchSize = 25

// batchConcurrency bounds the BatchWriteItem calls in flight.
const batchConcurrency = 8

// unprocessedRetries bounds the calls spent on the items DynamoDB returns
// unprocessed (it does so under throttling), with a growing pause between.
const unprocessedRetries = 8

// WriteBatch puts and deletes many items, unconditionally, 25 a call
// (BatchWriteItem, at most 8 calls at once). A key named twice is written
// once: the last put wins, and a put and a delete of the same key keep the
// put. Items DynamoDB leaves unprocessed are sent again. The batch is not
// atomic: on error, some items may have been written.
func (s *Store) WriteBatch(ctx context.Context, puts []Entry, deletes []Key) error {
	var reqs []types.WriteRequest
	at := map[Key]int{}
	add := func(k Key, r types.WriteRequest, put bool) {
		if i, ok := at[k]; ok {
			if put || reqs[i].DeleteRequest != nil {
				reqs[i] = r
			}
			return
		}
		at[k] = len(reqs)
		reqs = append(reqs, r)
	}
	for _, k := range deletes {
		if err := k.check(); err != nil {
			return fmt.Errorf("batch delete: %w", err)
		}
		add(k, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k.attrs()}}, false)
	}
	for _, e := range puts {
		if err := e.Key.check(); err != nil {
			return fmt.Errorf("batch put: %w", err)
		}
		attrs, err := marshalRecord(e.Key, e.Record)
		if err != nil {
			return fmt.Errorf("batch put: %w", err)
		}
		if !e.Expires.IsZero() {
			attrs[AttrExpires] = epochAttr(e.Expires)
		}
		add(e.Key, types.WriteRequest{PutRequest: &types.PutRequest{Item: attrs}}, true)
	}
	var chunks [][]types.WriteRequest
	for len(reqs) > 0 {
		n := min(batchSize, len(reqs))
		chunks, reqs = append(chunks, reqs[:n]), reqs[n:]
	}
	errs := make([]error, len(chunks))
	sem := make(chan struct{}, batchConcurrency)
	var wg sync.WaitGroup
	for i, c := range chunks {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = s.writeChunk(ctx, c)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Store) writeChunk(ctx context.Context, reqs []types.WriteRequest) error {
	pause := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		out, err := s.api.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{s.table: reqs},
		})
		if err != nil {
			return fmt.Errorf("batch write of %d items to table %s: %w", len(reqs), s.table, err)
		}
		reqs = out.UnprocessedItems[s.table]
		if len(reqs) == 0 {
			return nil
		}
		if attempt == unprocessedRetries {
			return fmt.Errorf("batch write to table %s: %d items still unprocessed after %d retries", s.table, len(reqs), attempt)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("batch write to table %s: %d items unprocessed: %w", s.table, len(reqs), ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}
