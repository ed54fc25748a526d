using System.Buffers;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.Aws;

/// <summary>
/// Writes the input to <c>-aws-s3-bucket</c>/<c>-aws-s3-key</c>. Input up to one part (8 MiB) is one
/// PutObject; larger or unknown-length input is a multipart upload fed part by part as it is read, so memory
/// stays at one part whatever the size. A templated key needs the input whole (it renders from its JSON).
/// </summary>
internal sealed class S3Sink : ISinkDriver, IFailureTranslator
{
    internal const int PartSize = 8 * 1024 * 1024;

    private readonly IAmazonS3 _s3;
    private readonly string _bucket;
    private readonly SettingTemplate? _key;
    private readonly S3CannedACL? _acl;
    private readonly List<Tag> _tags;
    private readonly bool _plainPuts;
    private readonly AwsErrors _errors;

    public S3Sink(DriverContext context)
    {
        var settings = context.Settings;
        _errors = new AwsErrors(settings, "aws-s3");
        var factory = new AwsClientFactory(settings);
        _bucket = settings.GetRequiredString(S3Settings.Bucket);
        _key = SettingTemplate.Parse(settings, S3Settings.Key);
        _acl = settings.GetString(S3Settings.Acl) is { Length: > 0 } acl ? S3CannedACL.FindValue(acl) : null;
        _tags = ParseTags(settings);
        // Custom endpoints get unchunked, plainly signed bodies: S3-compatible stores vary in aws-chunked support.
        _plainPuts = factory.HasCustomEndpoint;
        _s3 = factory.CreateS3(S3Client.PathStyle(settings, factory));
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        try
        {
            if (_key is { HasExpressions: true })
            {
                var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
                var key = _key.Render(TemplateData.FromPayloadBytes(bytes));
                await UploadAsync(key, new MemoryStream(bytes, writable: false), cancellationToken).ConfigureAwait(false);
                return;
            }
            await using var input = payload.OpenRead();
            await UploadAsync(_key?.Text ?? $"{DateTime.UtcNow:yyyyMMddTHHmmssfffZ}-{Guid.NewGuid():N}", input, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.IsAws(e))
        {
            throw _errors.For(e, $"cannot write to bucket {_bucket}", S3Settings.Bucket, invalid: FailureKind.Data);
        }
    }

    public DriverException? Translate(Exception error) => _errors.Translate(error);

    public ValueTask DisposeAsync()
    {
        _s3.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task UploadAsync(string key, Stream input, CancellationToken cancellationToken)
    {
        var first = ArrayPool<byte>.Shared.Rent(PartSize);
        try
        {
            var firstLength = await input.ReadAtLeastAsync(first.AsMemory(0, PartSize), PartSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (firstLength < PartSize)
            {
                await PutAsync(key, first, firstLength, cancellationToken).ConfigureAwait(false);
                return;
            }
            await MultipartAsync(key, first, input, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(first);
        }
    }

    private async Task PutAsync(string key, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = _bucket,
            Key = key,
            InputStream = new MemoryStream(buffer, 0, length, writable: false),
            CannedACL = _acl,
            TagSet = _tags.Count > 0 ? _tags : null,
            AutoCloseStream = true,
        };
        if (_plainPuts)
        {
            request.UseChunkEncoding = false;
        }
        await _s3.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task MultipartAsync(string key, byte[] first, Stream input, CancellationToken cancellationToken)
    {
        var upload = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = _bucket,
            Key = key,
            CannedACL = _acl,
            TagSet = _tags.Count > 0 ? _tags : null,
        }, cancellationToken).ConfigureAwait(false);
        var parts = new List<PartETag>();
        var buffer = first;
        var next = ArrayPool<byte>.Shared.Rent(PartSize);
        try
        {
            var length = PartSize;
            while (length > 0)
            {
                var number = parts.Count + 1;
                // Read the next part while this one uploads: two parts in memory at most.
                var upload1 = UploadPartAsync(upload.UploadId, key, number, buffer, length, cancellationToken);
                var read = input.ReadAtLeastAsync(next.AsMemory(0, PartSize), PartSize, throwOnEndOfStream: false, cancellationToken).AsTask();
                await Task.WhenAll(upload1, read).ConfigureAwait(false);
                parts.Add(new PartETag(number, upload1.Result.ETag));
                length = read.Result;
                (buffer, next) = (next, buffer);
            }
            await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket,
                Key = key,
                UploadId = upload.UploadId,
                PartETags = parts,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = upload.UploadId }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (AwsErrors.IsAws(e))
            {
                // The upload stays incomplete; a bucket lifecycle rule cleans such uploads up.
            }
            throw;
        }
        finally
        {
            // 'first' belongs to the caller; return whichever of the two buffers is ours.
            ArrayPool<byte>.Shared.Return(ReferenceEquals(buffer, first) ? next : buffer);
        }
    }

    private Task<UploadPartResponse> UploadPartAsync(string uploadId, string key, int number, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        var request = new UploadPartRequest
        {
            BucketName = _bucket,
            Key = key,
            UploadId = uploadId,
            PartNumber = number,
            InputStream = new MemoryStream(buffer, 0, length, writable: false),
            PartSize = length,
        };
        if (_plainPuts)
        {
            request.UseChunkEncoding = false;
        }
        return _s3.UploadPartAsync(request, cancellationToken);
    }

    private static List<Tag> ParseTags(SettingValues settings)
    {
        var tags = new List<Tag>();
        if (settings.GetString(S3Settings.Tags) is not { Length: > 0 } text)
        {
            return tags;
        }
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw settings.Invalid(S3Settings.Tags, $"'{pair}' is not key=value");
            }
            tags.Add(new Tag { Key = pair[..eq], Value = pair[(eq + 1)..] });
        }
        return tags;
    }
}

/// <summary>What the S3 source and sink share beyond the connection group.</summary>
internal static class S3Client
{
    public static bool PathStyle(SettingValues settings, AwsClientFactory factory) =>
        settings.IsSet(S3Settings.PathStyle) ? settings.GetBool(S3Settings.PathStyle) : factory.HasCustomEndpoint;
}
