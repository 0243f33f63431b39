// Package report renders what a check run found (package run): the text
// report and its splats, the JSON data that 'daxsim replay' and 'daxsim merge'
// read (and Merge of the shards' reports), the HTML page with a timeline per
// counterexample, the step descriptions replay prints, the command that
// reproduces a counterexample, and porcupine's view of a history.
package report
