using Drivers.Core.Hosting;
using Pushx;

return ToolHost.Run(PushxTool.Definition, args, (commandLine, log, ct) => new Pusher(commandLine, log).RunAsync(ct));
