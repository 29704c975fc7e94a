package leadsignals_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"threadline/backend/capture"
	"threadline/backend/capture/layerstore"
	"threadline/backend/crm"
	"threadline/backend/events"
	"threadline/backend/internal/corpus"
	"threadline/backend/leadsignals"
	"threadline/backend/mail"
	"threadline/backend/store"
)

// BenchmarkJob stores the SpamAssassin corpus (6,046 real messages) as a
// Maildir import, with and without the job's queue in the storing
// transaction, then lets the job process the queue. It reports the cost
// the queue adds to storing and the job's rate.
func BenchmarkJob(b *testing.B) {
	msgs := corpus.Load(b)
	src := filepath.Join(b.TempDir(), "maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(src, sub), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	for i, m := range msgs {
		if err := os.WriteFile(filepath.Join(src, "cur", fmt.Sprintf("%06d.eml:2,S", i)), m.Raw, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	importInto := func(queue bool) (*store.Store, *mail.Service, time.Duration) {
		dir := b.TempDir()
		st, err := store.Open(dir, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		ms := mail.NewService(mail.Options{Store: st, Secrets: mail.NewFileSecrets(filepath.Join(dir, "s"))})
		if queue {
			leadsignals.Queue(ms)
		}
		start := time.Now()
		if _, err := ms.Import(context.Background(), src, nil); err != nil {
			b.Fatal(err)
		}
		return st, ms, time.Since(start)
	}
	for b.Loop() {
		st0, _, plain := importInto(false)
		st0.Close()
		st, ms, queued := importInto(true)
		cr, err := crm.New(st, nil, crm.Options{})
		if err != nil {
			b.Fatal(err)
		}
		cls, _ := capture.NewShipped()
		learner, err := capture.NewLearner(cls, layerstore.New(st))
		if err != nil {
			b.Fatal(err)
		}
		job := leadsignals.New(leadsignals.Options{Store: st, Bus: events.NewBus(), Mail: ms, CRM: cr, Classifier: cls, Learner: learner})
		start := time.Now()
		if err := job.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		if err := job.WaitIdle(context.Background()); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		s, _ := job.Status()
		job.Stop()
		st.Close()
		b.ReportMetric(float64(len(msgs))/plain.Seconds(), "import-msgs/s")
		b.ReportMetric(float64(len(msgs))/queued.Seconds(), "import+queue-msgs/s")
		b.ReportMetric(float64(s.Processed)/took.Seconds(), "job-msgs/s")
		b.ReportMetric(float64(s.Signals), "signals")
	}
}
