using Drivers.Core.Registry;

namespace Drivers.Aws;

/// <summary>Registers the Aws drivers.</summary>
public static class AwsDrivers
{
    public static DriverRegistry AddAwsDrivers(this DriverRegistry registry) => registry;
}
