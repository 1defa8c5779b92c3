// Package state is vpcguard's state table: one DynamoDB table that every
// function shares (VPCGUARD_STATE_TABLE), read and written through a Store.
//
// # The table (a public contract)
//
// Partition key pk (S), sort key sk (S), and the TTL attribute expires (N,
// epoch seconds; absent on items that never expire). There is no secondary
// index: every record is reached by its pk, and a family of records shares
// a pk so that one Query (by sk prefix) lists them. Every other attribute is
// the record's own, marshalled by the SDK's attributevalue package (struct
// fields take their dynamodbav tag as name).
//
// DynamoDB deletes expired items late (within days of expires), so the
// Store treats an item whose expires has passed as absent: Get and Query
// do not return it, and Absent() is true for it, so a conditional put
// replaces it.
//
// # Key layout
//
// The first segment of pk names the record family; each family documents
// its own layout in the package that owns it. Account and region are part
// of every pk, so that one table can serve several accounts.
//
//	pk                                            sk                  holds                                   owner
//	placement#<account>#<region>                  built               when the last complete sweep rebuilt    pkg/placement
//	                                                                  the index (without it, the index is
//	                                                                  not trusted and events scan)
//	placement#<account>#<region>#models           model#<name>        every indexed model (name lower-cased)  pkg/placement
//	placement#<account>#<region>#vpc#<vpc-id>     model#<name>        a copy per model placed in the VPC      pkg/placement
//	placement#<account>#<region>#subnet#<id>      model#<name>        a copy per model using the subnet       pkg/placement
//	placement#<account>#<region>#sg#<id>          model#<name>        a copy per model using the group        pkg/placement
//	placement#<account>#<region>#endpoints        endpoint#<name>     each in-service endpoint: its config    pkg/placement
//	                                                                  and the models of its variants
//	placement#<account>#<region>#model#<name>     endpoint#<name>     the endpoints that serve a model        pkg/placement
//	ledger#<account>#<region>                     <entry id>          a repair: before, intended after,       pkg/ledger
//	                                                                  outcome, undo (400 days)
//	hold#<account>#<region>#<vpc-id>              <action>#<entry>    an undone repair, not redone for 7 days pkg/ledger
//	event#<account>#<region>#<event-id>           begin, part#<part>  an event's progress: each repair and    pkg/ledger
//	                                                                  notification channel done (24 hours)
//	lock#<account>#<region>#<vpc-id>              lock                the VPC's write lock (its TTL, 60 s)    pkg/ledger
//
// Other families (idempotency records, the repair ledger) take their own
// first segment and document it here when they land. Keep names in keys
// lower-case where AWS treats them case-insensitively (SageMaker names).
//
// # Operations
//
// Put (optionally conditional: Absent, Present, Equal, … joined by And and
// Or), Get, Update (SET and REMOVE, conditional), Delete (conditional),
// Query (one pk, an optional sk prefix, pages of PageSize, either order)
// and WriteBatch (puts and deletes, 25 a call, unprocessed items retried).
// A failed condition is ErrConditionFailed (errors.Is); every other error
// wraps the SDK's, so callers can tell AccessDenied or throttling apart.
package state
