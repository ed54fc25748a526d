module example.com/procx-go-sample

go 1.19

require github.com/procx-dotnet/procx/bindings/go v0.0.0

replace github.com/procx-dotnet/procx/bindings/go => ../../bindings/go
