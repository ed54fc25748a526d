using Drivers.Core.Hosting;
using Procx;

return ToolHost.Run(ProcxTool.Definition, args, (commandLine, log, ct) => new Worker(commandLine, log).RunAsync(ct));
