using System.Globalization;
using Drivers.Core.Registry;

namespace Drivers.Aws;

/// <summary>KEDA's SQS scaler (<c>aws-sqs-queue</c>: visible plus in-flight messages per replica).</summary>
internal static class AwsKeda
{
    public static KedaScaler Sqs { get; } = new("aws-sqs-queue", input =>
    {
        var url = input.Settings.GetRequiredString(SqsSettings.QueueUrl);
        List<KeyValuePair<string, string>> metadata =
        [
            new("queueURL", url),
            new("queueLength", input.Threshold.ToString(CultureInfo.InvariantCulture)),
            new("awsRegion", input.Settings.GetString(AwsSettings.Region) is { Length: > 0 } region ? region : RegionOf(url)),
        ];
        if (input.Settings.GetString(AwsSettings.EndpointUrl) is { Length: > 0 } endpoint)
        {
            metadata.Add(new("awsEndpoint", endpoint));
        }
        return metadata;
    })
    {
        PodIdentity = "aws",
    };

    /// <summary>The region in an SQS URL (https://sqs.eu-west-1.amazonaws.com/…), else procx's own default.</summary>
    private static string RegionOf(string queueUrl) =>
        Uri.TryCreate(queueUrl, UriKind.Absolute, out var uri) && uri.Host.Split('.') is ["sqs", var region, ..] && region != "amazonaws" ? region : "us-east-1";
}
