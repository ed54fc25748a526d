using Drivers.Core.Hosting;
using Procx;
using Pushx;

// First, before any setting or driver is touched: procx started as its own child's exec shim (Linux).
if (args is [ExecShim.Marker, ..])
{
    return ExecShim.Run(args);
}
// One binary, two tools: installed (copied or linked) under the name pushx, it is pushx.
if (InvokedName.Is("pushx"))
{
    return ToolHost.Run(PushxTool.Definition, args, (commandLine, log, ct) => new Pusher(commandLine, log).RunAsync(ct));
}
ExecShim.EnableForThisProcess();
if (OperatingSystem.IsLinux())
{
    NativeMethods.KeepChildExitCodes();
}
return ToolHost.Run(ProcxTool.Definition, args, (commandLine, log, ct) => new Worker(commandLine, log).RunAsync(ct));
