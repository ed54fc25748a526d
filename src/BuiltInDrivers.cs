using Drivers.Core.Registry;

namespace Drivers.Hosting;

/// <summary>
/// The drivers both executables ship: those src/BuiltInDrivers.props links in (all, or a slim build's
/// -p:Drivers=…), each behind its DRIVER_* constant. Compiled into procx, pushx and the docs test, so all three
/// see the same set.
/// </summary>
internal static class BuiltInDrivers
{
    public static DriverRegistry Create()
    {
        var registry = new DriverRegistry();
#if DRIVER_FS
        Drivers.FileSystem.FileSystemDrivers.AddFileSystemDrivers(registry);
#endif
#if DRIVER_REDIS
        Drivers.Redis.RedisDrivers.AddRedisDrivers(registry);
#endif
#if DRIVER_AWS
        Drivers.Aws.AwsDrivers.AddAwsDrivers(registry);
#endif
#if DRIVER_GCP
        Drivers.Gcp.GcpDrivers.AddGcpDrivers(registry);
#endif
#if DRIVER_RABBITMQ
        Drivers.RabbitMq.RabbitMqDrivers.AddRabbitMqDrivers(registry);
#endif
#if DRIVER_NATS
        Drivers.Nats.NatsDrivers.AddNatsDrivers(registry);
#endif
#if DRIVER_MQTT
        Drivers.Mqtt.MqttDrivers.AddMqttDrivers(registry);
#endif
#if DRIVER_ACTIVEMQ
        Drivers.ActiveMq.ActiveMqDrivers.AddActiveMqDrivers(registry);
#endif
#if DRIVER_ETCD
        Drivers.Etcd.EtcdDrivers.AddEtcdDrivers(registry);
#endif
#if DRIVER_SQL && WITH_MSSQL
        Drivers.Sql.SqlDrivers.AddSqlDriversWithMsSql(registry);
#elif DRIVER_SQL
        Drivers.Sql.SqlDrivers.AddSqlDrivers(registry);
#endif
        return registry;
    }
}
