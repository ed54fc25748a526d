using Drivers.Core.Registry;

namespace Drivers.Gcp;

/// <summary>Registers the Gcp drivers.</summary>
public static class GcpDrivers
{
    public static DriverRegistry AddGcpDrivers(this DriverRegistry registry) => registry;
}
