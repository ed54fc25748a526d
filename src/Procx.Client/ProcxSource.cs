using Drivers.Core.Contracts;

namespace Procx.Client;

/// <summary>
/// An open source: <see cref="TakeAsync"/> claims one unit of work at a time. Thread-safe as far as the
/// driver is (every driver allows concurrent takes, as procx's -concurrency does).
/// </summary>
public sealed class ProcxSource : IAsyncDisposable
{
    private readonly ISourceDriver _driver;
    private readonly IFailureTranslator? _translator;

    internal ProcxSource(ISourceDriver driver)
    {
        _driver = driver;
        _translator = driver as IFailureTranslator;
    }

    /// <summary>
    /// Claims the next unit of work, waiting up to <paramref name="wait"/> where the provider can block (SQS,
    /// Redis); null when there is none. The work stays claimed until it is completed, failed or disposed.
    /// </summary>
    /// <exception cref="ProcxException">The provider refused or could not be reached (see <see cref="ProcxException.Kind"/>).</exception>
    public async Task<ProcxWork?> TakeAsync(TimeSpan wait = default, CancellationToken cancellationToken = default)
    {
        var item = await ProcxException.Guard(() => _driver.FetchAsync(wait, cancellationToken), _translator).ConfigureAwait(false);
        return item is null ? null : new ProcxWork(_driver, item, _translator);
    }

    /// <summary>Closes the driver's connections. Work still claimed should be completed, failed or disposed first.</summary>
    public ValueTask DisposeAsync() => _driver.DisposeAsync();
}
