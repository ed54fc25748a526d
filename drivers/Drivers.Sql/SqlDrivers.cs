using Drivers.Core.Registry;

namespace Drivers.Sql;

/// <summary>Registers the Sql drivers.</summary>
public static class SqlDrivers
{
    public static DriverRegistry AddSqlDrivers(this DriverRegistry registry) => registry;
}
