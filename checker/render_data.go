package checker

import (
	"errors"
	"io"
)

// WriteJSON writes the report as JSON (issue #5: work in progress in this commit).
func (r *Report) WriteJSON(w io.Writer) error { return errors.New("-format json is not implemented yet") }

// WriteHTML writes the report as HTML (issue #5: work in progress in this commit).
func (r *Report) WriteHTML(w io.Writer) error { return errors.New("-format html is not implemented yet") }
