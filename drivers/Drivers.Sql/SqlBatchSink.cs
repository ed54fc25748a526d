using Drivers.Core.Contracts;

namespace Drivers.Sql;

/// <summary>
/// <see cref="SqlSink"/> with pushx -lines batches, for the providers whose client sends many statements in one
/// round trip (<see cref="SqlProvider.BatchLimits"/>: PostgreSQL/CockroachDB through NpgsqlBatch, MySQL/MariaDB
/// through MySqlBatch). A batch runs in one transaction: a statement the server refuses rolls all of it back,
/// and pushx names every line of it. A one-shot push is <see cref="SqlSink"/>'s, unchanged.
/// </summary>
internal sealed class SqlBatchSink(SqlSink sink, (int Count, long Bytes) limits) : ISinkDriver, IBatchSink, IFailureTranslator
{
    public int MaxBatchCount => limits.Count;

    public long MaxBatchBytes => limits.Bytes;

    public Task PushAsync(Payload payload, CancellationToken cancellationToken) => sink.PushAsync(payload, cancellationToken);

    public Task<IReadOnlyList<BatchRejection>> PushBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> messages, CancellationToken cancellationToken) =>
        sink.PushBatchAsync(messages, cancellationToken);

    public DriverException? Translate(Exception error) => sink.Translate(error);

    public ValueTask DisposeAsync() => sink.DisposeAsync();
}
