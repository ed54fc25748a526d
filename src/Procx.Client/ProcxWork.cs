using Drivers.Core.Contracts;

namespace Procx.Client;

/// <summary>
/// One claimed unit of work. <see cref="CompleteAsync"/> clears it (procx's clear op), <see cref="FailAsync"/>
/// fails it (the fail op: it stays recoverable). Disposed without either, it is released untouched, as procx
/// releases work a shutdown interrupted: an exception between take and complete never loses the work.
/// </summary>
public sealed class ProcxWork : IAsyncDisposable
{
    private readonly ISourceDriver _driver;
    private readonly WorkItem _item;
    private readonly IFailureTranslator? _translator;
    private int _settled;

    internal ProcxWork(ISourceDriver driver, WorkItem item, IFailureTranslator? translator)
    {
        _driver = driver;
        _item = item;
        _translator = translator;
    }

    /// <summary>The item's id in its source (a key, a message id), when it has one.</summary>
    public string? Id => _item.Id ?? _item.Key;

    /// <summary>The payload's length in bytes, when the provider says it before it is read.</summary>
    public long? Length => _item.Payload.Length;

    /// <summary>The payload as a stream, straight from the provider where it streams (files, S3, GCS). Read it once.</summary>
    public Stream OpenRead() => _item.Payload.OpenRead();

    /// <summary>The whole payload, byte for byte.</summary>
    public Task<byte[]> ReadAllBytesAsync(CancellationToken cancellationToken = default) => _item.Payload.ReadAllBytesAsync(cancellationToken);

    /// <summary>Clears the work: done, never offered again.</summary>
    /// <exception cref="ProcxException">The clear failed; the work is then left to the source's own rules (it may come back).</exception>
    public Task CompleteAsync(CancellationToken cancellationToken = default) => SettleAsync(ct => _driver.ClearAsync(_item, ct), cancellationToken);

    /// <summary>Fails the work: the fail op runs and the work stays recoverable (offered again, or set aside).</summary>
    public Task FailAsync(CancellationToken cancellationToken = default) => SettleAsync(ct => _driver.FailAsync(_item, ct), cancellationToken);

    /// <summary>Releases the work untouched if it was neither completed nor failed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _settled, 1) == 0)
        {
            await _item.Payload.DisposeAsync().ConfigureAwait(false);
            try
            {
                await _driver.ReleaseAsync(_item, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Not handed back at once: the source offers it again by its own rules (lease, timeout), as
                // after a crash. A dispose that throws would hide the exception that brought us here.
            }
        }
        await _item.DisposeAsync().ConfigureAwait(false);
    }

    private async Task SettleAsync(Func<CancellationToken, Task> settle, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _settled, 1) != 0)
        {
            throw new InvalidOperationException("this work was already completed, failed or released");
        }
        await _item.Payload.DisposeAsync().ConfigureAwait(false); // streams and handles closed before the source moves the item
        await ProcxException.Guard(() => settle(cancellationToken), _translator).ConfigureAwait(false);
    }
}
