using System.Net;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Disposition;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.Aws;

/// <summary>
/// Takes objects from a bucket: <c>-aws-s3-key</c>, or the first key in S3's (UTF-8 binary) order matching
/// <c>-aws-s3-key-prefix</c> or <c>-aws-s3-key-regex</c>. The object body streams to the child straight from
/// the GetObject response, never held in memory. Objects another job of this process holds are skipped;
/// objects that failed here go to the back of the line, so one bad object cannot block the rest.
/// </summary>
internal sealed class S3Source : ISourceDriver, IFailureTranslator
{
    private readonly IAmazonS3 _s3;
    private readonly string _bucket;
    private readonly string? _exactKey;
    private readonly string? _prefix;
    private readonly Func<string, bool> _matches;
    private readonly DispositionPlan _clear;
    private readonly DispositionPlan _fail;
    private readonly ILog _log;
    private readonly KeyBook _keys = new();
    private readonly AwsErrors _errors;

    public S3Source(DriverContext context)
    {
        var settings = context.Settings;
        _log = context.Log;
        _errors = new AwsErrors(settings, "aws-s3");
        var factory = new AwsClientFactory(settings);
        _bucket = settings.GetRequiredString(S3Settings.Bucket);
        (_exactKey, _prefix, _matches) = BuildSelector(settings);
        _clear = S3Settings.Clear.Bind(settings, _bucket);
        _fail = S3Settings.Fail.Bind(settings, _bucket);
        _s3 = factory.CreateS3(S3Client.PathStyle(settings, factory));
    }

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var candidates = _exactKey is not null ? [_exactKey] : await ListCandidatesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var key in candidates)
        {
            if (!_keys.TryTake(key))
            {
                continue;
            }
            GetObjectResponse? response = null;
            try
            {
                response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key }, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
            {
                // Taken or removed since the listing (or, for -aws-s3-key, not there yet).
            }
            catch (Exception e) when (AwsErrors.IsAws(e))
            {
                _keys.Release(key);
                throw _errors.For(e, $"cannot get s3://{_bucket}/{key}", S3Settings.Bucket);
            }
            if (response is null)
            {
                _keys.Release(key);
                continue;
            }
            // The response stream is the HTTP body: the child reads it as it arrives.
            var payload = Payload.FromStream(new OwningReadStream(response.ResponseStream, response), response.ContentLength);
            return new WorkItem(payload)
            {
                Key = key,
                Id = key,
                TemplateData = TemplateData.Empty.With("key", key).With("bucket", _bucket),
            };
        }
        return null;
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _clear, "clear", cancellationToken);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _fail, "fail", cancellationToken);

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        _keys.Release(item.Key!);
        return Task.CompletedTask;
    }

    public DriverException? Translate(Exception error) => _errors.Translate(error);

    public bool FailSetsAside => _fail.Op != DispositionOp.None;

    public ValueTask DisposeAsync()
    {
        _s3.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task SettleAsync(WorkItem item, DispositionPlan plan, string phase, CancellationToken cancellationToken)
    {
        var key = item.Key!;
        try
        {
            switch (plan.Op)
            {
                case DispositionOp.Remove:
                    await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, cancellationToken).ConfigureAwait(false);
                    break;
                case DispositionOp.Move:
                    var targetKey = plan.TargetKey(key, item.TemplateData ?? TemplateData.Empty);
                    if (plan.Container == _bucket && targetKey == key)
                    {
                        break;
                    }
                    await _s3.CopyObjectAsync(new CopyObjectRequest
                    {
                        SourceBucket = _bucket,
                        SourceKey = key,
                        DestinationBucket = plan.Container,
                        DestinationKey = targetKey,
                    }, cancellationToken).ConfigureAwait(false);
                    await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, cancellationToken).ConfigureAwait(false);
                    _log.Debug($"{phase}: moved", ("key", key), ("to", $"s3://{plan.Container}/{targetKey}"));
                    break;
                case DispositionOp.None when phase == "clear":
                    // Left in place as in the original; remember it so a daemon does not run it again.
                    _keys.ClearedInPlace(key);
                    break;
            }
        }
        catch (Exception e) when (AwsErrors.IsAws(e))
        {
            var target = plan.Op == DispositionOp.Move ? (phase == "clear" ? S3Settings.Clear : S3Settings.Fail).Container : S3Settings.Bucket;
            throw _errors.For(e, $"{phase} of s3://{_bucket}/{key}", target);
        }
        finally
        {
            _keys.Settled(key, failed: phase == "fail");
        }
    }

    /// <summary>Matching keys in listing order, with the ones that failed in this process last.</summary>
    private async Task<List<string>> ListCandidatesAsync(CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix };
        try
        {
            ListObjectsV2Response page;
            do
            {
                page = await _s3.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
                keys.AddRange((page.S3Objects ?? []).Select(o => o.Key).Where(_matches));
                request.ContinuationToken = page.NextContinuationToken;
            }
            while (page.IsTruncated == true && keys.Count < 1000);
        }
        catch (Exception e) when (AwsErrors.IsAws(e))
        {
            throw _errors.For(e, $"cannot list s3://{_bucket}/{_prefix}", S3Settings.Bucket);
        }
        return [.. keys.OrderBy(_keys.FailedLast)];
    }

    private static (string? Exact, string? Prefix, Func<string, bool> Matches) BuildSelector(SettingValues settings)
    {
        var key = settings.GetString(S3Settings.Key);
        var prefix = settings.GetString(S3Settings.KeyPrefix);
        var regex = settings.GetString(S3Settings.KeyRegex);
        var given = new[] { key, prefix, regex }.Count(v => !string.IsNullOrEmpty(v));
        if (given != 1)
        {
            throw settings.Invalid(S3Settings.Key, "set exactly one of -aws-s3-key, -aws-s3-key-prefix and -aws-s3-key-regex");
        }
        if (!string.IsNullOrEmpty(key))
        {
            return (key, null, k => k == key);
        }
        if (!string.IsNullOrEmpty(prefix))
        {
            return (null, prefix, k => k.StartsWith(prefix, StringComparison.Ordinal));
        }
        try
        {
            var pattern = new Regex(regex!, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            return (null, null, pattern.IsMatch);
        }
        catch (ArgumentException e)
        {
            throw settings.Invalid(S3Settings.KeyRegex, ErrorText.Describe(e));
        }
    }
}
