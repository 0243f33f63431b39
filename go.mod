module github.com/daxsim/daxsim

go 1.26.8
