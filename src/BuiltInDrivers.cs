using Drivers.Core.Registry;
using Drivers.ActiveMq;
using Drivers.Aws;
using Drivers.Etcd;
using Drivers.FileSystem;
using Drivers.Gcp;
using Drivers.RabbitMq;
using Drivers.Nats;
using Drivers.Mqtt;
using Drivers.Redis;
using Drivers.Sql;

namespace Drivers.Hosting;

/// <summary>
/// The drivers both executables ship. A slim build is this list with fewer lines (and fewer project
/// references). Compiled into procx, pushx and the docs test, so all three see the same set.
/// </summary>
internal static class BuiltInDrivers
{
    public static DriverRegistry Create() => new DriverRegistry()
        .AddFileSystemDrivers()
        .AddRedisDrivers()
        .AddAwsDrivers()
        .AddGcpDrivers()
        .AddRabbitMqDrivers()
        .AddNatsDrivers()
        .AddMqttDrivers()
        .AddActiveMqDrivers()
        .AddEtcdDrivers()
#if WITH_MSSQL
        .AddSqlDriversWithMsSql();
#else
        .AddSqlDrivers();
#endif
}
