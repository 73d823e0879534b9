package bench

import (
	"os"
	"path/filepath"
	"testing"
)

// TestKeptSections checks that the sections other tools measure survive a new report.
func TestKeptSections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	if got := keptSections(path); got != "" {
		t.Errorf("no file: %q, want nothing", got)
	}
	section := keptMarker + " the web client -->\n## Web client\n\nnumbers\n"
	if err := os.WriteFile(path, []byte("# Benchmarks\n\nold results\n\n"+section), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := keptSections(path); got != "\n"+section {
		t.Errorf("kept %q, want %q", got, "\n"+section)
	}
}
