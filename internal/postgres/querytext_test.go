package postgres

import (
	"strings"
	"testing"
)

func TestQueryText(t *testing.T) {
	for name := range hotQueries {
		sql, ok := QueryText(name)
		if !ok || sql == "" || strings.Contains(sql, "-- name:") || sql != strings.TrimSpace(sql) {
			t.Errorf("QueryText(%q) = %q, %v: want the statement alone", name, sql, ok)
		}
	}
	if sql, ok := QueryText("NoSuchQuery"); ok || sql != "" {
		t.Errorf("QueryText of an unknown query = %q, %v", sql, ok)
	}
}
