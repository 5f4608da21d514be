package app

import (
	"os"
	"path/filepath"
	"sort"

	"go.uber.org/zap"
)

// dataDirSnapshot is what the data dir held before New: New creates the dir,
// its keys/ subdir and files in both (store file, signing and sealing keys,
// cursor key), so those two levels are all it records. A failed start
// removes whatever is new there and nothing else; the files of an earlier
// run are never touched.
type dataDirSnapshot struct {
	dir     string
	existed map[string]bool // paths present before, dir included
}

func snapshotDataDir(dir string) dataDirSnapshot {
	s := dataDirSnapshot{dir: dir, existed: map[string]bool{}}
	for _, d := range []string{dir, filepath.Join(dir, "keys")} {
		if _, err := os.Lstat(d); err != nil {
			continue
		}
		s.existed[d] = true
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			s.existed[filepath.Join(d, e.Name())] = true
		}
	}
	return s
}

// undo removes what appeared in the two recorded levels since the snapshot,
// deepest first; directories only when empty.
func (s dataDirSnapshot) undo(log *zap.Logger) {
	var added []string
	for _, d := range []string{s.dir, filepath.Join(s.dir, "keys")} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if p := filepath.Join(d, e.Name()); !s.existed[p] && !e.IsDir() {
				added = append(added, p)
			}
		}
	}
	for _, d := range []string{filepath.Join(s.dir, "keys"), s.dir} {
		if !s.existed[d] {
			added = append(added, d)
		}
	}
	sort.SliceStable(added, func(i, j int) bool { return len(added[i]) > len(added[j]) })
	for _, p := range added {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			log.Warn("failed start: could not remove what it created in the data dir", zap.String("path", p), zap.Error(err))
		}
	}
}
