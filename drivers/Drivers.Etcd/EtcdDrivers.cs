using Drivers.Core.Registry;

namespace Drivers.Etcd;

/// <summary>Registers the etcd source and sink (docs/etcd.md).</summary>
public static class EtcdDrivers
{
    public static DriverRegistry AddEtcdDrivers(this DriverRegistry registry) => registry
        .Add(new SourceDescriptor("etcd", "A key (or the first unclaimed key under a prefix) from etcd, claimed in a transaction under a lease", EtcdSettings.Source, c => new EtcdSource(c))
        {
            Capabilities = SourceCapabilities.Of<EtcdSource>(DeliveryGuarantee.AtLeastOnce,
                "A taken key is claimed under a lease kept alive while the child runs; a failed or released key is given up at once (or moved/deleted by -etcd-fail-op), and the claim of a procx that died lapses after -etcd-claim-ttl (docs/etcd.md).") with
            {
                NoKedaScaler = "KEDA's etcd scaler reads one key's numeric value, not a count of keys under a prefix, so it cannot see this backlog",
            },
            Examples =
            [
                new("Run a worker for each key under jobs/, deleting each one done and moving failures aside",
                    "procx -driver etcd -etcd-hosts 127.0.0.1:2379 -etcd-retrieve-key jobs/ -etcd-with-prefix -etcd-clear-op rm -etcd-fail-op mv -etcd-fail-key 'failed/{{key}}' -daemon ./work.sh"),
            ],
        })
        .Add(new SinkDescriptor("etcd", "Puts the input at an etcd key (a template; optionally a unique key under a prefix)", EtcdSettings.Sink, c => new EtcdSink(c))
        {
            Examples =
            [
                new("Queue a job under jobs/ for procx -etcd-with-prefix", "echo '{\"id\":1}' | pushx -driver etcd -etcd-hosts 127.0.0.1:2379 -etcd-key jobs/ -etcd-key-append-id"),
                new("Put the input at a key named from it", "echo '{\"id\":42}' | pushx -driver etcd -etcd-hosts 127.0.0.1:2379 -etcd-key 'orders/{{id}}'"),
            ],
        });
}
