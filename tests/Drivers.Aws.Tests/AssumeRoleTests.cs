using System.Text;
using Drivers.Conformance;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Drivers.Aws.Tests;

/// <summary>-aws-role-arn: the chain's credentials call STS AssumeRole, and the drivers act with the role's.</summary>
public sealed class AssumeRoleTests
{
    [Fact]
    public async Task Role_arn_assumes_the_role_through_sts()
    {
        _ = AwsTestServices.Registry; // the chain finds the test's static keys
        var requests = new List<string>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        // STS's query protocol: a form POST with Action=AssumeRole, answered in XML.
        app.MapPost("/", async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            lock (requests)
            {
                requests.Add(body);
            }
            context.Response.ContentType = "text/xml";
            await context.Response.WriteAsync("""
                <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <AssumeRoleResult>
                    <Credentials>
                      <AccessKeyId>ASIAROLEKEY</AccessKeyId>
                      <SecretAccessKey>role-secret</SecretAccessKey>
                      <SessionToken>role-token</SessionToken>
                      <Expiration>2099-01-01T00:00:00Z</Expiration>
                    </Credentials>
                    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/worker/procx</Arn><AssumedRoleId>AROAEXAMPLE:procx</AssumedRoleId></AssumedRoleUser>
                  </AssumeRoleResult>
                  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>
                </AssumeRoleResponse>
                """, Encoding.UTF8);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        TestServices.Announce("sts", $"wire-level AssumeRole fake at {endpoint}");

        var settings = DriverFactory.Bind(AwsSettingsForTest.All, new Dictionary<string, string>
        {
            ["aws-endpoint-url"] = endpoint,
            ["aws-role-arn"] = "arn:aws:iam::123456789012:role/worker",
        }, "PROCX");
        var credentials = await new AwsClientFactory(settings).Credentials.GetCredentialsAsync();

        Assert.Equal("ASIAROLEKEY", credentials.AccessKey);
        Assert.Equal("role-secret", credentials.SecretKey);
        Assert.Equal("role-token", credentials.Token);
        var request = Assert.Single(requests);
        Assert.Contains("Action=AssumeRole", request, StringComparison.Ordinal);
        Assert.Contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fworker", request, StringComparison.Ordinal);
        Assert.Contains("RoleSessionName=procx-", request, StringComparison.Ordinal);
    }

    private static class AwsSettingsForTest
    {
        public static IReadOnlyList<Drivers.Core.Settings.Setting> All => AwsSettings.Connection;
    }
}
