package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
)

// parseInt accepts a decimal number; an absent document (nil) is 0.
func parseInt(data []byte) (int, error) {
	if data == nil {
		return 0, nil
	}
	return strconv.Atoi(string(data))
}

func TestWatchAppliesGoodDocumentsKeepsTheLastGoodOneAndTreatsAbsenceAsEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc")
	write := func(text string) {
		if err := os.WriteFile(path+".tmp", []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	write("1")
	fetch, err := New(path, "")
	if err != nil {
		t.Fatal(err)
	}
	var current atomic.Int64
	current.Store(-1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	apply := func(v int) { current.Store(int64(v)) }
	if err := Watch(ctx, fetch, parseInt, apply, 10*time.Millisecond, zap.NewNop(), "doc"); err != nil {
		t.Fatal(err)
	}
	if current.Load() != 1 {
		t.Fatalf("first load: %d", current.Load())
	}
	waitFor := func(want int64, what string) {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) && current.Load() != want {
			time.Sleep(5 * time.Millisecond)
		}
		if current.Load() != want {
			t.Fatalf("%s: value %d, want %d", what, current.Load(), want)
		}
	}
	write("2")
	waitFor(2, "an update")
	write("not a number")
	time.Sleep(100 * time.Millisecond) // ten reload intervals
	if current.Load() != 2 {
		t.Fatalf("a broken document replaced the last good one: %d", current.Load())
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitFor(0, "a deleted document")
}

func TestABrokenFirstLoadFailsTheStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	fetch, _ := New(path, "")
	err := Watch(context.Background(), fetch, parseInt, func(int) {}, time.Second, zap.NewNop(), "doc")
	if err == nil {
		t.Fatal("a broken document at start was accepted")
	}
	if _, err := New("", ""); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("an empty location: %v", err)
	}
}
