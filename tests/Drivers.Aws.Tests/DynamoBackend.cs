using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Drivers.Conformance;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace Drivers.Aws.Tests;

/// <summary>
/// Where a DynamoDB test runs, chosen by the test class, never by what happens to be missing:
/// <see cref="FakeAsync"/> is the in-process wire-level fake (its classes are named …OnFake…, their
/// [backend] line says "fake"); <see cref="EmulatorAsync"/> is PROCX_TEST_DYNAMO (a DynamoDB Local or
/// LocalStack URL), else DynamoDB Local under Testcontainers where Docker is there, else a visible skip
/// (no DynamoDB server is installed on this machine, tests/services has none). Each test gets its own
/// table with a string hash key ("id" unless told).
/// </summary>
public sealed class DynamoBackend : IAsyncDisposable
{
    private static readonly SemaphoreSlim ContainerGate = new(1, 1);
    private static IContainer? _container;

    private readonly FakeDynamoDb? _fake;

    private DynamoBackend(string endpoint, FakeDynamoDb? fake)
    {
        Endpoint = endpoint;
        _fake = fake;
        Client = new AmazonDynamoDBClient(AwsTestServices.Credentials, new AmazonDynamoDBConfig { ServiceURL = endpoint, AuthenticationRegion = "us-east-1" });
    }

    public string Endpoint { get; }

    public AmazonDynamoDBClient Client { get; }

    public string Table { get; private set; } = "";

    /// <summary>The in-process wire-level fake (<see cref="FakeDynamoDb"/>).</summary>
    public static async Task<DynamoBackend> FakeAsync(string hashKey = "id")
    {
        _ = AwsTestServices.Registry; // sets the emulator credentials for the drivers' credential chain
        var fake = await FakeDynamoDb.StartAsync();
        TestServices.AnnounceFake("dynamodb", $"in-process wire-level FakeDynamoDb at {fake.Endpoint}");
        var backend = new DynamoBackend(fake.Endpoint, fake);
        await backend.CreateTableAsync(AwsTestServices.UniqueName("jobs"), hashKey);
        return backend;
    }

    /// <summary>A real DynamoDB emulator: PROCX_TEST_DYNAMO, else DynamoDB Local under Testcontainers, else a skip saying so.</summary>
    public static async Task<DynamoBackend> EmulatorAsync(string hashKey = "id")
    {
        _ = AwsTestServices.Registry;
        string endpoint;
        if (Environment.GetEnvironmentVariable("PROCX_TEST_DYNAMO") is { Length: > 0 } url)
        {
            endpoint = url;
            TestServices.Announce("dynamodb", $"DynamoDB emulator at {url} (PROCX_TEST_DYNAMO)");
        }
        else if (TestServices.DockerAvailable)
        {
            endpoint = await StartContainerAsync();
            TestServices.Announce("dynamodb", $"DynamoDB Local (Testcontainers) at {endpoint}");
        }
        else
        {
            // Not one of tests/services: nothing to require here; the …OnFake… classes run the same cases.
            Xunit.Assert.Skip("no DynamoDB emulator here: set PROCX_TEST_DYNAMO to a DynamoDB Local URL or run where Docker is available (the ...OnFake... tests run the same cases against the wire-level fake)");
            endpoint = ""; // not reached
        }
        var backend = new DynamoBackend(endpoint, null);
        await backend.CreateTableAsync(AwsTestServices.UniqueName("jobs"), hashKey);
        return backend;
    }

    public async Task PutAsync(string itemJson) =>
        await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Statement = $"INSERT INTO \"{Table}\" VALUE {itemJson}" });

    public async Task<List<Dictionary<string, AttributeValue>>> ScanAsync()
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        string? token = null;
        do
        {
            var page = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Statement = $"SELECT * FROM \"{Table}\"", NextToken = token });
            items.AddRange(page.Items ?? []);
            token = page.NextToken;
        }
        while (token is not null);
        return items;
    }

    public Dictionary<string, string> Flags(params (string Name, string Value)[] more)
    {
        var flags = new Dictionary<string, string> { ["aws-endpoint-url"] = Endpoint };
        foreach (var (name, value) in more)
        {
            flags[name] = value.Replace("$TABLE", Table, StringComparison.Ordinal);
        }
        return flags;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_fake is not null)
        {
            await _fake.DisposeAsync();
        }
    }

    private async Task CreateTableAsync(string name, string hashKey)
    {
        Table = name;
        if (_fake is not null)
        {
            _fake.CreateTable(name, hashKey);
            return;
        }
        await Client.CreateTableAsync(new CreateTableRequest
        {
            TableName = name,
            KeySchema = [new KeySchemaElement(hashKey, KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition(hashKey, ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        });
    }

    private static async Task<string> StartContainerAsync()
    {
        await ContainerGate.WaitAsync();
        try
        {
            if (_container is null)
            {
                var container = new ContainerBuilder("amazon/dynamodb-local:2.5.4")
                    .WithCommand("-jar", "DynamoDBLocal.jar", "-inMemory", "-sharedDb")
                    .WithPortBinding(8000, true)
                    .WithWaitStrategy(Wait.ForUnixContainer().UntilInternalTcpPortIsAvailable(8000))
                    .Build();
                await container.StartAsync();
                _container = container;
            }
            return $"http://{_container.Hostname}:{_container.GetMappedPublicPort(8000)}";
        }
        finally
        {
            ContainerGate.Release();
        }
    }
}
