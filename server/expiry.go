package server

import (
	"time"
)

// Time to live (Session.ttl): a session that no call has changed for its
// ttl is deleted, with its stored history, as DeleteSession would. Reads
// do not count as changes: a grader coming back for the records of an
// idle session should set no ttl, or one longer than it will wait.

// ExpireSessions deletes the sessions whose ttl has run out at now and
// returns their IDs.
func (s *Server) ExpireSessions(now time.Time) []string {
	var expired []string
	for _, sess := range s.reg.sorted() {
		sess.mu.Lock()
		due := sess.ttl > 0 && !sess.gone && !now.Before(sess.lastChange.Add(sess.ttl))
		sess.mu.Unlock()
		if due && s.deleteSession(sess.id) == nil {
			expired = append(expired, sess.id)
		}
	}
	return expired
}

// RunExpiry calls ExpireSessions every interval, logging each expiry,
// until Shutdown.
func (s *Server) RunExpiry(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stopping:
			return
		case <-t.C:
			for _, id := range s.ExpireSessions(s.wallNow()) {
				s.log.Info().Str("session", id).Msg("session expired (ttl): deleted")
			}
		}
	}
}
