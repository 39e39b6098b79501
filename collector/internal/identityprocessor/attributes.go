package identityprocessor

import "strings"

// Attribute names the processor writes.
const (
	attrEmail  = "user.email"
	attrUserID = "user.id"
	attrGroups = "user.groups"
)

// orgKeys are the organisation attributes: never taken from a client in token mode, set from the mapping.
var orgKeys = map[string]bool{
	"department": true, "team.id": true, "cost_center": true, "organization": true,
	"location": true, "role": true, "manager": true,
}

// droppedExact are dropped in token mode besides orgKeys and the prefixes below.
var droppedExact = map[string]bool{"organization.id": true}

// droppedPrefixes: every user.* (identity), enduser.* (OTel's semantic conventions for the same) and x-*
// (header copies a client could have set through OTEL_RESOURCE_ATTRIBUTES).
var droppedPrefixes = []string{"user.", "enduser.", "x-"}

// pseudonymousDropped are removed in pseudonymous mode: they identify the person besides e-mail and id.
var pseudonymousDropped = map[string]bool{
	"user.name": true, "user.account_uuid": true, "user.account_id": true, "organization.id": true,
}

// clientSupplied is true for an attribute a client may not set when identity comes from the token.
func clientSupplied(key string) bool {
	if orgKeys[key] || droppedExact[key] {
		return true
	}
	for _, p := range droppedPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// identityKey is true for attributes that travel with the person in client mode (moved from the resource to the
// points so pseudonymisation sees them all).
func identityKey(key string) bool {
	return strings.HasPrefix(key, "user.") || key == "organization.id"
}
