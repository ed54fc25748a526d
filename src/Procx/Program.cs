using Drivers.Core.Hosting;
using Procx;

// First, before any setting or driver is touched: procx started as its own child's exec shim (Linux).
if (args is [ExecShim.Marker, ..])
{
    return ExecShim.Run(args);
}
ExecShim.EnableForThisProcess();
return ToolHost.Run(ProcxTool.Definition, args, (commandLine, log, ct) => new Worker(commandLine, log).RunAsync(ct));
