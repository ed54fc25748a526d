module github.com/procx-dotnet/procx/bindings/go

go 1.19
