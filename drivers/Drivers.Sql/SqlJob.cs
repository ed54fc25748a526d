using System.Data.Common;

namespace Drivers.Sql;

/// <summary>
/// One job's hold on the database: its own connection and, in <c>-…-transaction job</c> mode, the
/// transaction its retrieve ran in. Row locks taken by the retrieve (FOR UPDATE SKIP LOCKED, UPDLOCK) last
/// until <see cref="CommitAsync"/>; disposing without committing rolls back, so a crashed or killed job
/// leaves its rows exactly as they were.
/// </summary>
internal sealed class SqlJob : IAsyncDisposable
{
    private readonly SqlProvider _provider;
    private readonly DbConnection _connection;
    private DbTransaction? _transaction;

    private SqlJob(SqlProvider provider, DbConnection connection, DbTransaction? transaction)
    {
        _provider = provider;
        _connection = connection;
        _transaction = transaction;
    }

    public static async Task<SqlJob> OpenAsync(SqlProvider provider, DbDataSource db, bool transaction, CancellationToken cancellationToken)
    {
        var connection = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var tx = transaction ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : null;
            return new SqlJob(provider, connection, tx);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A command for <paramref name="sql"/> with <paramref name="values"/> bound as parameters, in the job's transaction.</summary>
    public DbCommand Command(string sql, IReadOnlyList<object?> values)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = _transaction;
        for (var i = 0; i < values.Count; i++)
        {
            command.Parameters.Add(_provider.CreateParameter(i, values[i]));
        }
        return command;
    }

    public async Task ExecuteAsync(string sql, IReadOnlyList<object?> values, CancellationToken cancellationToken)
    {
        await using var command = Command(sql, values);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <paramref name="sql"/> once per entry of <paramref name="statements"/>, each with its own values bound, in
    /// one batch: one round trip (Npgsql pipelines the statements; MySqlConnector sends them as one
    /// multi-statement packet). A statement the server refuses throws <see cref="SqlBatchException"/>, naming
    /// it when the client says which (Npgsql does).
    /// </summary>
    public async Task ExecuteBatchAsync(string sql, IReadOnlyList<IReadOnlyList<object?>> statements, CancellationToken cancellationToken)
    {
        await using var batch = _connection.CreateBatch();
        batch.Transaction = _transaction;
        foreach (var values in statements)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = sql;
            for (var i = 0; i < values.Count; i++)
            {
                command.Parameters.Add(_provider.CreateParameter(i, values[i]));
            }
            batch.BatchCommands.Add(command);
        }
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            var index = e.BatchCommand is { } failed ? batch.BatchCommands.IndexOf(failed) : -1;
            throw new SqlBatchException(e, index >= 0 ? index : null);
        }
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (_transaction is { } tx)
        {
            _transaction = null;
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            await tx.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_transaction is { } tx)
        {
            _transaction = null;
            try
            {
                await tx.RollbackAsync().ConfigureAwait(false);
            }
            catch (DbException)
            {
                // The connection is gone; the server rolls the transaction back by itself.
            }
            catch (InvalidOperationException)
            {
                // Already completed by the server (a failed statement on some providers).
            }
            await tx.DisposeAsync().ConfigureAwait(false);
        }
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A batch the server refused: its error, and which statement (0-based) when the client says.</summary>
internal sealed class SqlBatchException(DbException error, int? index) : Exception(error.Message, error)
{
    public DbException Error { get; } = error;

    public int? Index { get; } = index;
}
