using Drivers.Core.Failures;
using System.Net;
using Drivers.Core;
using Drivers.Core.Logging;
using Prometheus;

namespace Procx;

/// <summary>What the worker reports; a no-op unless -metrics-addr is set, so start-up pays nothing for it.</summary>
internal interface IJobMetrics : IDisposable
{
    void JobStarted();

    void JobFinished(bool succeeded, TimeSpan duration);

    void FetchError();

    /// <summary>
    /// Whether /readyz answers 200: false while the source cannot be reached. /healthz does not follow it: a
    /// liveness probe that failed during a broker outage would restart every worker for nothing.
    /// </summary>
    bool Ready { set; }
}

internal sealed class NoMetrics : IJobMetrics
{
    public bool Ready { set { } }

    public void JobStarted() { }

    public void JobFinished(bool succeeded, TimeSpan duration) { }

    public void FetchError() { }

    public void Dispose() { }
}

/// <summary>Prometheus metrics (prometheus-net), /healthz (alive) and /readyz (the source answers) on a small HttpListener.</summary>
internal sealed class PrometheusJobMetrics : IJobMetrics
{
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Counter _started;
    private readonly Counter _succeeded;
    private readonly Counter _failed;
    private readonly Counter _fetchErrors;
    private readonly Gauge _inFlight;
    private readonly Histogram _duration;
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ILog _log;
    private volatile bool _ready = true;

    public PrometheusJobMetrics(string address, string driver, ILog log)
    {
        _log = log;
        var factory = Metrics.WithCustomRegistry(_registry).WithLabels(new Dictionary<string, string> { ["driver"] = driver });
        _started = factory.CreateCounter("procx_jobs_started_total", "Jobs started");
        _succeeded = factory.CreateCounter("procx_jobs_succeeded_total", "Jobs whose child exited 0 (work cleared)");
        _failed = factory.CreateCounter("procx_jobs_failed_total", "Jobs that failed (work failed or dead-lettered)");
        _fetchErrors = factory.CreateCounter("procx_fetch_errors_total", "Failed attempts to fetch from the source");
        _inFlight = factory.CreateGauge("procx_jobs_in_flight", "Jobs running now");
        _duration = factory.CreateHistogram("procx_job_duration_seconds", "Job duration, fetch to settle",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.005, 2, 18) });

        _listener.Prefixes.Add(Prefix(address));
        try
        {
            _listener.Start();
        }
        catch (HttpListenerException e)
        {
            throw CliException.Config($"cannot serve metrics on '{address}': {ErrorText.Describe(e)} (set -metrics-addr or PROCX_METRICS_ADDR)");
        }
        _ = ServeAsync();
    }

    public bool Ready { set => _ready = value; }

    public void JobStarted()
    {
        _started.Inc();
        _inFlight.Inc();
    }

    public void JobFinished(bool succeeded, TimeSpan duration)
    {
        _inFlight.Dec();
        (succeeded ? _succeeded : _failed).Inc();
        _duration.Observe(duration.TotalSeconds);
    }

    public void FetchError() => _fetchErrors.Inc();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _stop.Dispose();
    }

    /// <summary><c>:9090</c> listens on every interface; <c>host:port</c> on that host.</summary>
    private static string Prefix(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(address.AsSpan(colon + 1), out var port))
        {
            throw CliException.Usage($"-metrics-addr '{address}' is not host:port or :port (set -metrics-addr or PROCX_METRICS_ADDR)");
        }
        var host = colon == 0 ? "*" : address[..colon];
        return $"http://{host}:{port}/";
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException e)
            {
                _log.Warn($"metrics listener: {ErrorText.Describe(e)}");
                continue;
            }
            try
            {
                await AnswerAsync(context).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or IOException)
            {
                _log.Debug($"metrics request: {ErrorText.Describe(e)}");
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        using var response = context.Response;
        switch (context.Request.Url?.AbsolutePath)
        {
            case "/metrics":
                response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await _registry.CollectAndExportAsTextAsync(response.OutputStream, _stop.Token).ConfigureAwait(false);
                break;
            case "/healthz":
                // Answering at all is the proof of life: the listener runs on the worker's own thread pool.
                await response.OutputStream.WriteAsync("ok\n"u8.ToArray(), _stop.Token).ConfigureAwait(false);
                break;
            case "/readyz":
                response.StatusCode = _ready ? 200 : 503;
                await response.OutputStream.WriteAsync(_ready ? "ok\n"u8.ToArray() : "source unreachable\n"u8.ToArray(), _stop.Token).ConfigureAwait(false);
                break;
            default:
                response.StatusCode = 404;
                break;
        }
    }
}
