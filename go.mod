module github.com/daxsim/daxsim

go 1.26.8

require (
	github.com/anishathalye/porcupine v1.3.1
	golang.org/x/sync v0.24.0
	golang.org/x/term v0.47.0
	pgregory.net/rapid v1.3.0
)

require golang.org/x/sys v0.49.0 // indirect
