package bolt

// Commits counts the transactions Put's group commit made (tests).
func (s *Store) Commits() int64 { return s.group.commits.Load() }
