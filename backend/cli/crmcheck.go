package cli

import (
	"context"
	"fmt"

	"threadline/backend/crm"
	"threadline/backend/events"
	"threadline/backend/store"
)

func init() {
	commands["crm-check"] = command{"check that the CRM's indexes agree with its records", runCRMCheck}
}

// runCRMCheck opens the store (so it fails with ErrAlreadyRunning while the
// app has it) and runs crm's CheckIndexes.
func runCRMCheck(env Env, args []string) error {
	fs, data := newFlags(env, "crm-check")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dir, err := dataDir(*data)
	if err != nil {
		return err
	}
	st, err := store.Open(dir, store.Options{Logger: newLogger(env.Stderr)})
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := crm.New(st, events.NewBus(), crm.Options{})
	if err != nil {
		return err
	}
	if err := s.CheckIndexes(); err != nil {
		return err
	}
	page, err := s.ListLeads(context.Background(), crm.ListQuery{IncludeArchived: true, Limit: 1})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "CRM indexes agree with the records (%d leads)\n", page.Total)
	return nil
}
