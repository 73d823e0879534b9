package auth

import (
	"testing"
	"time"
)

// BenchmarkVerify measures verifying a token, which every authenticated request does.
func BenchmarkVerify(b *testing.B) {
	tokens := NewTokens([]byte("bench-secret-bench-secret-bench-secret"), time.Hour, time.Now)
	tok, err := tokens.Issue(42, 3)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokens.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBcryptCost10 is the cost of one login's password check at the original
// server's cost, the bound on login throughput per core.
func BenchmarkBcryptCost10(b *testing.B) {
	p, err := NewPasswords(10)
	if err != nil {
		b.Fatal(err)
	}
	hash, err := p.Hash("password123")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !p.Check(hash, "password123") {
			b.Fatal("no match")
		}
	}
}
