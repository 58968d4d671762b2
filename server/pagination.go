package server

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// Page tokens are opaque to clients (AIP-158): base64 of a version, the
// list they belong to and where the next page starts. A token from another
// list, or a forged one, is INVALID_ARGUMENT.

const (
	tokenSessions   = "sessions"
	tokenEndpoints  = "endpoints"
	tokenEvents     = "events"
	tokenPaths      = "paths"
	tokenFaultRules = "faultRules"
)

func encodePageToken(list, after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1/" + list + "/" + after))
}

var errBadToken = errors.New("not a page token from this list; pass next_page_token unchanged")

func decodePageToken(tok, list string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", errBadToken
	}
	after, ok := strings.CutPrefix(string(raw), "v1/"+list+"/")
	if !ok || after == "" {
		return "", errBadToken
	}
	return after, nil
}

func encodeOrderToken(list string, after uint64) string {
	return encodePageToken(list, strconv.FormatUint(after, 10))
}

func decodeOrderToken(tok, list, field string, v *violations) uint64 {
	s, err := decodePageToken(tok, list)
	if err != nil {
		v.add(field, "%v", err)
		return 0
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		v.add(field, "%v", errBadToken)
	}
	return n
}
