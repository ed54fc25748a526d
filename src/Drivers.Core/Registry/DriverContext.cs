using Drivers.Core.Logging;
using Drivers.Core.Settings;

namespace Drivers.Core.Registry;

/// <summary>What a driver factory receives: its bound settings and the logger. Drivers never read the environment.</summary>
public sealed record DriverContext(SettingValues Settings, ILog Log);
